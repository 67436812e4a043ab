// system.mjs — the System view: status, health, and the metrics charts
// (inline SVG with a title), which gain samples as the page polls.
export default async function (ctx) {
	const { page, expect } = ctx;
	await ctx.signIn();
	await page.click('[data-test=nav-system]');
	await page.waitForSelector('[data-test=view-system] [data-test=status-version]');
	const st = (await ctx.api('GET', '/api/status')).body;
	expect(await page.textContent('[data-test=status-version]') === st.version,
	    'the version of /api/status');
	expect(await page.textContent('[data-test=status-pid]') === String(st.pid),
	    'the pid of /api/status');
	await page.waitForSelector('[data-test=system-health][data-ready=yes]');
	// Every chart is an SVG image with a title.
	for (const c of ['chart-requests', 'chart-agents', 'chart-streams', 'chart-latency']) {
		const svg = page.locator(`svg[data-test=${c}]`);
		expect(await svg.getAttribute('role') === 'img', c + ' is an image');
		expect((await svg.locator(':scope > title').textContent()).length > 0, c + ' has a title');
	}
	// A second sample makes a rate: the requests chart draws a line.
	await page.click('[data-test=system-refresh]');
	await page.waitForSelector('svg[data-test=chart-requests] path.chart-line',
	    { timeout: 15000 });
	const desc = await page.textContent('svg[data-test=chart-requests] desc');
	expect(/requests\/s: \d/.test(desc), 'the latest rate in words: ' + desc);
	expect(await page.locator('svg[data-test=chart-latency] rect.chart-bar').count() > 0,
	    'the latency bars');
	// The daemon cannot be reached for a while: the view says so and
	// keeps what it showed; when it answers again sampling goes on.
	await page.route('**/api/status', (r) => r.abort());
	await page.click('[data-test=system-refresh]');
	await page.waitForFunction(() => document.querySelector('[data-test=system-updated]')
	    .textContent.startsWith('Last attempt failed'));
	expect(await page.textContent('[data-test=status-version]') === st.version,
	    'what was shown stays');
	expect(await page.isVisible('[data-test=error-banner]'), 'a banner says why');
	await page.unroute('**/api/status');
	ctx.allow(/ERR_FAILED|cannot reach the Oxios daemon/);
	await page.click('[data-test=system-refresh]');
	await page.waitForFunction(() => document.querySelector('[data-test=system-updated]')
	    .textContent.startsWith('Updated'));
	expect(await page.locator('[data-test=error-banner]').count() === 0,
	    'the banner goes when the daemon answers again');
	await page.setViewportSize({ width: 1280, height: 1500 });
	await ctx.shot('view');
}
