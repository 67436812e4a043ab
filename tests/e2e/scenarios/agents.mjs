// agents.mjs — the Agents view: a running agent and its sub-agent show
// as a tree, live (the agent.* events), with state and model; Kill stops
// the root and its sub-agent after a confirmation; the state filter.
export default async function (ctx) {
	const { page, expect } = ctx;
	// The root calls the `agent` tool; its sub-agent answers slowly, so
	// both are running for a while.
	await ctx.script([
		{ tool_calls: [{ id: 'p1', name: 'agent',
		    arguments: { task: 'count slowly' } }] },
		{ text: 'one two three four five six seven eight nine ten ' +
		    'eleven twelve thirteen fourteen fifteen', delay_ms: 700 },
		{ text: 'The sub-agent is done.' },
	]);
	await ctx.signIn();
	await page.goto(ctx.base + '/#/agents');
	await page.waitForSelector('[data-test=view-agents]');
	// Started after the view is open: the event brings it in.
	const chat = ctx.api('POST', '/api/chat',
	    { content: 'delegate the counting', model: 'openai/gpt-4.1' })
	    .catch(() => null);
	const child = page.locator(
	    '[data-test=agent-row][data-state=running][aria-level="2"]');
	await child.waitFor({ timeout: 20000 });
	const parentId = await child.getAttribute('data-parent');
	const root = page.locator(`[data-test=agent-row][data-id="${parentId}"]`);
	expect(await root.getAttribute('aria-level') === '1',
	    'the root agent at level 1');
	expect(await root.getAttribute('data-state') === 'running',
	    'the root agent running');
	const text = await root.innerText();
	expect(text.includes('gpt-4.1'), 'the model shown: ' + text);
	expect(text.includes('(1 sub)'), 'the sub-agent counted: ' + text);
	// The worker's CPU time and memory come with the monitor's next
	// sample (every 10 s).
	await root.locator('[data-test=agent-rss]').waitFor({ timeout: 15000 });
	const rss = await root.locator('[data-test=agent-rss]').innerText();
	expect(/\d.*(KiB|MiB|GiB)$/.test(rss), 'the worker memory: ' + rss);
	// What each is doing, from the events: the root called the agent
	// tool, the sub-agent is writing.
	await page.waitForFunction((id) => /^writing · \d+ chars$/.test(document
	    .querySelector(`[data-test=agent-row][data-id="${id}"] ` +
	    '[data-test=agent-activity]')?.textContent || ''),
	await child.getAttribute('data-id'), { timeout: 10000 });
	const doing = await root.locator('[data-test=agent-activity]').innerText();
	expect(doing === 'calling agent…', 'the root calls a sub-agent: ' + doing);
	await ctx.shot('view');

	// Kill, refused once at the confirmation: nothing happens.
	page.once('dialog', (d) => d.dismiss());
	await root.locator('[data-test=agent-kill]').click();
	await page.waitForTimeout(500);
	let r = await ctx.api('GET', '/api/agents/' + parentId);
	expect(r.body.state === 'running', 'still running after Cancel');
	// Then confirmed.
	page.once('dialog', (d) => d.accept());
	await root.locator('[data-test=agent-kill]').click();
	await page.waitForSelector(
	    `[data-test=agent-row][data-id="${parentId}"][data-state=killed]`,
	    { timeout: 20000 });
	await page.waitForFunction(() => !document.querySelector(
	    '[data-test=agent-row][data-state=running]'), null, { timeout: 20000 });
	await chat;
	r = await ctx.api('GET', '/api/agents/' + parentId);
	expect(r.body.state === 'killed', 'killed: ' + r.body.state);

	// The state filter: only killed ones.
	await page.selectOption('[data-test=agent-state-filter]', 'killed');
	await page.waitForFunction(() => {
		const rows = [...document.querySelectorAll('[data-test=agent-row]')];
		return rows.length > 0 && rows.every((x) => x.dataset.state === 'killed');
	}, null, { timeout: 10000 });
	await page.selectOption('[data-test=agent-state-filter]', 'queued');
	await page.waitForSelector('[data-test=view-agents] [data-test=empty]');
	await ctx.shot('filtered');

	// The page offline: one banner, what was shown stays; an agent that
	// ran meanwhile is there once the page is back.
	await page.selectOption('[data-test=agent-state-filter]', '');
	await page.waitForSelector('[data-test=agent-row]');
	await page.context().setOffline(true);
	await page.waitForSelector('[data-test=error-banner]', { timeout: 10000 });
	await ctx.script([{ text: 'Done while the page was away.' }]);
	const r2 = await ctx.api('POST', '/api/chat', { content: 'meanwhile' });
	expect(r2.status === 200, 'the chat ran');
	expect(await page.locator('[data-test=agent-row]').count() >= 2,
	    'the rows stay while offline');
	await page.context().setOffline(false);
	await page.waitForSelector(
	    `[data-test=agent-row][data-id="${r2.body.agent_id}"][data-state=exited]`,
	    { timeout: 15000 });
	await page.waitForSelector('[data-test=error-banner]',
	    { state: 'detached', timeout: 10000 });
	ctx.allow(/ERR_INTERNET_DISCONNECTED|ERR_FAILED|ERR_NETWORK_CHANGED/);
}
