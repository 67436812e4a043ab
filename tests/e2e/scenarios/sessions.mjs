// sessions.mjs — the Sessions view: a conversation listed, opened with
// its messages (a tool call folded) and the memory it recalled, Continue in Chat leads to it, and
// Delete asks first: refused it keeps the session, confirmed it is gone.
export default async function (ctx) {
	const { page, expect } = ctx;
	// A memory the question brings to mind: recalled at the session's start.
	const mem = await ctx.api('POST', '/api/memory',
	    { content: 'The workspace holds the garden planner', tags: ['workspace'] });
	expect(mem.status === 201 || mem.status === 200, 'a memory: ' + JSON.stringify(mem.body));
	await ctx.script([
		{ tool_calls: [{ id: 'k1', name: 'ls', arguments: { path: '.' } }] },
		{ text: 'The **workspace** is listed.' },
	]);
	const r = await ctx.api('POST', '/api/chat',
	    { content: 'list the workspace please' });
	expect(r.status === 200, 'the chat ran: ' + JSON.stringify(r.body));
	const sid = r.body.session_id;

	await ctx.signIn();
	await page.goto(ctx.base + '/#/sessions');
	const row = page.locator(`[data-test=session-row][data-id="${sid}"]`);
	await row.waitFor();
	await row.locator('[data-test=session-open]').click();
	await page.waitForSelector('[data-test=session-message]');
	expect(page.url().endsWith('#/sessions/' + sid), 'the address: ' + page.url());
	const roles = await page.locator('[data-test=session-message]')
	    .evaluateAll((els) => els.map((e) => e.dataset.role));
	expect(roles[0] === 'user' && roles.includes('assistant'),
	    'the messages: ' + roles.join(','));
	const rec = page.locator(`[data-test=session-recall-row][data-id="${mem.body.id}"]`);
	await rec.waitFor();
	expect((await rec.innerText()).includes('garden planner'), 'the recalled memory shown');
	const log = await page.locator('[data-test=session-messages]').innerText();
	expect(log.includes('list the workspace please'), 'the question shown');
	expect(log.includes('The workspace is listed.'), 'the answer shown');
	expect(await page.locator('[data-test=session-messages] strong')
	    .innerText() === 'workspace', 'the answer rendered as Markdown');
	expect(await page.locator('[data-test=session-tool][data-tool=ls]')
	    .count() === 1, 'the tool call folded');
	expect(await row.getAttribute('aria-current') === 'true',
	    'the open session marked');
	await ctx.shot('view');

	// Continue in Chat: the Chat view with this session.
	const href = await row.locator('[data-test=session-continue]')
	    .getAttribute('href');
	expect(href === '#/chat/' + sid, 'the Chat link: ' + href);

	// Delete, refused at the confirmation: kept.
	page.once('dialog', (d) => d.dismiss());
	await row.locator('[data-test=session-delete]').click();
	await page.waitForTimeout(300);
	expect((await ctx.api('GET', '/api/sessions/' + sid)).status === 200,
	    'kept after Cancel');
	// Confirmed: gone, from the list and the daemon.
	page.once('dialog', (d) => d.accept());
	await row.locator('[data-test=session-delete]').click();
	await row.waitFor({ state: 'detached' });
	expect((await ctx.api('GET', '/api/sessions/' + sid)).status === 404,
	    'deleted');
	expect(!page.url().includes(sid), 'the address left the deleted session');
	await page.waitForSelector('[data-test=session-detail]:empty');

	// Continue in Chat from another session.
	await ctx.script([{ text: 'Second answer.' }]);
	const r2 = await ctx.api('POST', '/api/chat', { content: 'second one' });
	await page.click('[data-test=sessions-refresh]');
	const row2 = page.locator(
	    `[data-test=session-row][data-id="${r2.body.session_id}"]`);
	await row2.locator('[data-test=session-continue]').click();
	await page.waitForSelector('[data-test=view-chat] [data-test=message]');
	expect(page.url().endsWith('#/chat/' + r2.body.session_id),
	    'in Chat: ' + page.url());

	// Opened while the daemon does not answer: not a blank view but one
	// saying why, and the list once it answers again.
	await page.route('**/api/sessions?*', (route) => route.abort());
	await page.goto(ctx.base + '/#/sessions');
	await page.waitForSelector('[data-test=sessions-list] [data-test=empty]');
	expect((await page.locator('[data-test=sessions-list]').innerText())
	    .includes('could not be loaded'), 'the reason shown');
	await page.waitForSelector('[data-test=error-banner]');
	await page.unroute('**/api/sessions?*');
	await page.waitForSelector('[data-test=session-row]', { timeout: 10000 });
	await page.waitForSelector('[data-test=error-banner]', { state: 'detached' });
	ctx.allow(/ERR_FAILED/);
}
