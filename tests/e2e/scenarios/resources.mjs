// resources.mjs — the Resources view: the last sample, the overload
// state with its limits, and the history charts (inline SVG).
export default async function (ctx) {
	const { page, expect } = ctx;
	await ctx.signIn();
	await page.click('[data-test=nav-resources]');
	await page.waitForSelector('[data-test=view-resources] [data-test=resources-overload]');
	const ov = (await ctx.api('GET', '/api/resources/overload')).body;
	const text = await page.textContent('[data-test=resources-overload]');
	expect(text.includes(ov.overloaded ? 'Overloaded' : 'Not overloaded'),
	    'the overload state: ' + text);
	expect(text.includes(`${ov.limits.min_disk_mb} MB`), 'the disk limit: ' + text);
	// The daemon samples every second here: wait for a sample and a line.
	for (let i = 0; i < 20; i++) {
		if (await page.locator('svg[data-test=chart-usage] path.chart-line').count() > 0)
			break;
		await page.waitForTimeout(500);
		await page.click('[data-test=resources-refresh]');
	}
	expect(await page.locator('svg[data-test=chart-usage] path.chart-line').count() > 0,
	    'the CPU and memory chart has a line');
	expect(await page.locator('[data-test=now-memory]').count() === 1, 'the memory of the last sample');
	for (const c of ['chart-usage', 'chart-load', 'chart-disk', 'chart-agents'])
		expect(await page.locator(`svg[data-test=${c}][role=img] title`).count() === 1,
		    c + ' is a titled image');
	await page.selectOption('[data-test=resources-range]', '60');
	await page.setViewportSize({ width: 1280, height: 1500 });
	await ctx.shot('view');
}
