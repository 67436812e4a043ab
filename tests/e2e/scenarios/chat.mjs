// chat.mjs — the Chat view: a streamed answer with a tool call folded
// under its name, the agent in the API afterwards, then a slow answer
// cancelled.
export default async function (t) {
	const { page } = t;
	await t.script([
		{ text: 'Looking. ', tool_calls: [{ id: 'c1', name: 'ls',
		    arguments: { path: '.' } }] },
		{ text: 'There is **nothing** here yet.', chunk_bytes: 4 },
	]);
	await t.signIn();
	await page.fill('[data-test=chat-input]', 'What is in the workspace?');
	await page.click('[data-test=send]');
	const fold = await page.waitForSelector('[data-test=tool-fold][data-tool=ls]');
	await page.waitForFunction(() => {
		const m = [...document.querySelectorAll(
		    '[data-test=message][data-role=assistant]')];
		return m.some((e) => /nothing here yet/.test(e.textContent));
	}, null, { timeout: 30000 });
	// Markdown: the strong text is an element, not asterisks.
	const strong = await page.$$eval('[data-test=messages] strong',
	    (s) => s.map((e) => e.textContent));
	t.expect(strong.includes('nothing'), 'bold rendered: ' + strong);
	await fold.click();
	await page.waitForSelector('[data-test=tool-result]');
	await t.shot('answer');
	// The session is listed and the agent finished.
	await page.waitForSelector('[data-test=session-item]');
	const agents = await t.api('GET', '/api/agents');
	const list = agents.body.agents || agents.body;
	t.expect(Array.isArray(list) && list.some((a) => a.state === 'exited'),
	    'an exited agent: ' + JSON.stringify(agents.body).slice(0, 300));

	// A call that fails once is retried, and the conversation says so.
	await t.script([{ text: 'Second try worked.',
	    fault: { status: 500, times: 1 } }]);
	await page.fill('[data-test=chat-input]', 'Again?');
	await page.click('[data-test=send]');
	const retry = await page.waitForSelector('[data-test=retry]');
	const why = await retry.textContent();
	t.expect(/attempt 1 failed/.test(why) && /500/.test(why),
	    'the retry says why: ' + why);
	await page.waitForFunction(() => /Second try worked/.test(
	    document.querySelector('[data-test=messages]').textContent),
	    null, { timeout: 30000 });

	// A slow answer, cancelled.
	await t.script([{ text: 'slow', fault: { hang: true } }]);
	await page.fill('[data-test=chat-input]', 'Take your time.');
	await page.click('[data-test=send]');
	await page.waitForSelector('[data-test=cancel]:not([disabled])');
	await page.click('[data-test=cancel]');
	await page.waitForFunction(() =>
	    /cancel/i.test(document.querySelector('[data-test=messages]').textContent),
	    null, { timeout: 15000 });
	await page.waitForSelector('[data-test=cancel][disabled]');
	await t.shot('cancelled');
}
