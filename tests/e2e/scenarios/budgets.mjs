// budgets.mjs — the Budgets view: the global limits, a principal's limits
// set through the form (and read back by Edit), removed after a
// confirmation; the usage report grouped by phase, then by model, then
// for the last 24 hours.
export default async function (ctx) {
	const { page, expect } = ctx;
	await ctx.script([{ text: 'Something to count.' }]);
	const r = await ctx.api('POST', '/api/chat', { content: 'spend a little' });
	expect(r.status === 200, 'the chat ran');

	await ctx.signIn();
	await page.goto(ctx.base + '/#/budgets');
	await page.waitForSelector('[data-test=budget-global-table]');
	await page.waitForSelector('[data-test=usage-row]');
	await page.waitForSelector('[data-test=usage-total]');

	// Set limits.
	await page.fill('[data-test=budget-agent]', 'e2e-bot');
	await page.fill('[data-test=budget-tokens]', '5000');
	await page.fill('[data-test=budget-usd]', '1.5');
	await page.selectOption('[data-test=budget-window]', 'month');
	await page.click('[data-test=budget-save]');
	const row = page.locator('[data-test=budget-row][data-agent=e2e-bot]');
	await row.and(page.locator('[data-limited=true]')).waitFor();
	const text = await row.innerText();
	expect(text.includes('$1.50') && text.includes('5,000') &&
	    text.includes('month'), 'the limits shown: ' + text);
	const b = await ctx.api('GET', '/api/budget/e2e-bot');
	expect(b.body.limits.tokens === 5000 && b.body.limits.usd === 1.5 &&
	    b.body.limits.window === 'month', 'stored: ' + JSON.stringify(b.body));

	// Edit reads them back into the form.
	await page.fill('[data-test=budget-agent]', '');
	await row.locator('[data-test=budget-edit]').click();
	expect(await page.inputValue('[data-test=budget-agent]') === 'e2e-bot' &&
	    await page.inputValue('[data-test=budget-tokens]') === '5000' &&
	    await page.inputValue('[data-test=budget-window]') === 'month',
	    'the form filled by Edit');

	// The usage report by model and over the last day.
	await page.selectOption('[data-test=usage-by]', 'model');
	await page.waitForFunction(() => [...document.querySelectorAll(
	    '[data-test=usage-row]')].some((x) => x.dataset.key.includes('gpt-4.1')),
	    null, { timeout: 10000 });
	await page.selectOption('[data-test=usage-since]', '24h');
	await page.waitForSelector('[data-test=usage-row]');
	const u = await ctx.api('GET', '/api/usage?by=model&since=24h');
	expect(await page.locator('[data-test=usage-row]').count() ===
	    u.body.rows.length, 'one row per model');
	await ctx.shot('view');
	// On a phone's width nothing is cut off: the tables scroll sideways.
	await page.setViewportSize({ width: 390, height: 844 });
	const wide = await page.evaluate(() =>
	    document.documentElement.scrollWidth > window.innerWidth + 1);
	expect(!wide, 'the page fits a phone');
	await ctx.shot('phone');
	await page.setViewportSize({ width: 1280, height: 720 });

	// Remove the limits: refused, kept; confirmed, gone.
	page.once('dialog', (d) => d.dismiss());
	await row.locator('[data-test=budget-remove]').click();
	await page.waitForTimeout(300);
	expect((await ctx.api('GET', '/api/budget/e2e-bot')).body.limits !== null,
	    'kept after Cancel');
	page.once('dialog', (d) => d.accept());
	await row.locator('[data-test=budget-remove]').click();
	await page.waitForFunction(() => !document.querySelector(
	    '[data-test=budget-row][data-agent=e2e-bot][data-limited=true]'),
	null, { timeout: 10000 });
	expect((await ctx.api('GET', '/api/budget/e2e-bot')).body.limits === null,
	    'removed');
}
