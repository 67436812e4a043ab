// approvals.mjs — human approvals in the dashboard (the daemon runs with
// [security.tools.write] approval = "ask"): a REST chat's write waits and
// is allowed once from the Approvals inbox; in the Chat view a write
// shows its approval card and Allow always answers it (an allow rule,
// listed in the inbox's rules); another write is rejected by typing
// /reject ID in the chat, and one more denied from the inbox with a
// reason; last, an allow rule made from the form before any call.  Only small files in the workspace are written.
export default async function (ctx) {
	const { page, expect } = ctx;
	const write = (id, path, content) => ({ tool_calls: [{ id, name: 'write',
	    arguments: { path, content } }] });

	// A chat over REST waits on its write; the inbox shows it.
	await ctx.script([write('c1', 'e2e-a.txt', 'inbox\n'), { text: 'Wrote a.' }]);
	const chat = ctx.api('POST', '/api/chat', { content: 'write a' });
	await ctx.signIn();
	await page.goto(ctx.base + '/#/approvals');
	const row = page.locator('[data-test=approval-row][data-tool=write]');
	await row.waitFor();
	const text = await row.innerText();
	expect(text.includes('write e2e-a.txt (6 bytes)') && text.includes('ask'),
	    'the call and why it waits: ' + text);
	expect(/\d+ s/.test(await row.locator('[data-test=approval-left]').innerText()),
	    'a countdown');
	await row.locator('[data-test=approval-once]').click();
	const r = await chat;
	expect(r.status === 200 && r.body.reply === 'Wrote a.', 'the chat ran: ' + JSON.stringify(r.body));
	await page.locator('[data-test=approvals-inbox] [data-test=empty]').waitFor();
	await page.locator('[data-test=decided-row][data-state=approved]').waitFor();

	// In the chat: the card, and Allow always.
	await ctx.script([write('c2', 'e2e-b.txt', 'card\n'), { text: 'Wrote b.' }]);
	await page.goto(ctx.base + '/#/chat');
	await page.fill('[data-test=chat-input]', 'write b');
	await page.click('[data-test=send]');
	const card = page.locator('[data-test=approval-card]');
	await card.waitFor();
	expect((await card.innerText()).includes('write e2e-b.txt (5 bytes)'), 'the card says what');
	await card.locator('[data-test=approval-always]').click();
	await page.locator('[data-test=approval-answered]').waitFor();
	await page.getByText('Wrote b.').waitFor();
	const rules = await ctx.api('GET', '/api/security/rules');
	expect(rules.body.rules.length === 1 && rules.body.rules[0].tool === 'write',
	    'an allow rule: ' + JSON.stringify(rules.body));

	// /reject ID typed in the chat while the answer waits.
	await ctx.script([write('c3', 'e2e-c.txt', 'no\n'), { text: 'It was refused.' }]);
	await page.fill('[data-test=chat-input]', 'write c');
	await page.click('[data-test=send]');
	const card2 = page.locator('[data-test=approval-card]');
	await card2.waitFor();
	const id = await card2.getAttribute('data-id');
	await page.fill('[data-test=chat-input]', '/reject ' + id);
	await page.press('[data-test=chat-input]', 'Enter');
	await page.locator('[data-test=approval-note]').waitFor();
	await page.getByText('It was refused.').waitFor();
	const a = await ctx.api('GET', '/api/approvals/' + id);
	expect(a.body.state === 'rejected', 'rejected: ' + JSON.stringify(a.body));

	// Denied from the inbox with a reason, which the agent reads.
	await ctx.script([write('c4', 'e2e-d.txt', 'no\n'), { text: 'Noted.' }]);
	const chat4 = ctx.api('POST', '/api/chat', { content: 'write d' });
	await page.goto(ctx.base + '/#/approvals');
	const row4 = page.locator('[data-test=approval-row][data-tool=write]');
	await row4.waitFor();
	const id4 = await row4.getAttribute('data-id');
	await row4.locator('[data-test=approval-reason]').fill('not in the workspace root');
	await row4.locator('[data-test=approval-deny]').click();
	const r4 = await chat4;
	expect(r4.status === 200 && r4.body.reply === 'Noted.', 'the chat ran: ' + JSON.stringify(r4.body));
	const a4 = await ctx.api('GET', '/api/approvals/' + id4);
	expect(a4.body.state === 'rejected' && a4.body.note === 'not in the workspace root',
	    'rejected with its reason: ' + JSON.stringify(a4.body));
	await page.locator(`[data-test=decided-row][data-id="${id4}"]`).waitFor();

	// The rule in the inbox, revoked.
	await page.goto(ctx.base + '/#/approvals');
	await page.locator('[data-test=rule-row]').waitFor();
	page.once('dialog', (d) => d.accept());
	await page.click('[data-test=rule-revoke]');
	await page.locator('[data-test=approvals-rules] [data-test=empty]').waitFor();

	// A rule made before any call waits, from the form.
	await page.fill('[data-test=rule-tool]', 'write');
	await page.fill('[data-test=rule-args]', '{"path": "e2e-e.txt", "content": "ahead\\n"}');
	await page.click('[data-test=rule-add]');
	await page.locator('[data-test=rule-row]').waitFor();
	const made = await ctx.api('GET', '/api/security/rules');
	expect(made.body.rules.length === 1 && made.body.rules[0].principal === 'default' &&
	    made.body.rules[0].match === '{"content":"ahead\\n","path":"e2e-e.txt"}',
	    'the rule made: ' + JSON.stringify(made.body));
	await ctx.shot('done');
}
