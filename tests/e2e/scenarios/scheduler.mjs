// scheduler.mjs — the Scheduler view: the provider a call went to with
// its breaker (closed), the call running while it streams, per class
// figures; refreshed on its own; a failed refresh shows one banner that
// goes once the daemon answers again.
export default async function (ctx) {
	const { page, expect } = ctx;
	await ctx.script([
		{ text: 'a slow answer for the scheduler to show', delay_ms: 700 },
	]);
	const chat = ctx.api('POST', '/api/chat', { content: 'be slow' });
	await ctx.signIn();
	await page.goto(ctx.base + '/#/scheduler');
	const row = page.locator('[data-test=provider-row][data-provider=openai]');
	await row.waitFor({ timeout: 15000 });
	expect(await row.getAttribute('data-breaker') === 'closed',
	    'the breaker closed');
	// The call in flight shows without a reload (the view refreshes).
	await page.waitForSelector('[data-test=task-row][data-state=running]',
	    { timeout: 15000 });
	expect((await page.locator('[data-test=task-row]').innerText())
	    .includes('gpt-4.1'), 'the model of the call');
	await page.waitForSelector('[data-test=classes]');
	await ctx.shot('view');
	const r = await chat;
	expect(r.status === 200, 'the chat ended: ' + JSON.stringify(r.body));
	await page.waitForSelector('[data-test=no-tasks]', { timeout: 10000 });
	// The figures are the daemon's (other tests share it: compare).
	const st = await ctx.api('GET', '/api/scheduler/stats');
	const n = st.body.providers.find((p) => p.provider === 'openai').admitted;
	expect(n >= 1, 'admitted counted');
	await page.click('[data-test=scheduler-refresh]');
	await page.waitForFunction((n) => {
		const tr = document.querySelector(
		    '[data-test=provider-row][data-provider=openai]');
		return tr && tr.cells[4].textContent === n.toLocaleString('en-US');
	}, n, { timeout: 5000 });

	// The daemon unreachable for a while: one banner, not a blank view.
	await page.route('**/api/scheduler/**', (route) => route.abort());
	await page.waitForSelector('[data-test=error-banner]', { timeout: 10000 });
	await page.waitForTimeout(2500);
	expect(await page.locator('[data-test=error-banner]').count() === 1,
	    'one banner, not one per refresh');
	expect(await row.count() === 1, 'what was shown stays');
	await page.unroute('**/api/scheduler/**');
	await page.waitForSelector('[data-test=error-banner]',
	    { state: 'detached', timeout: 10000 });
	ctx.allow(/ERR_FAILED/);
}
