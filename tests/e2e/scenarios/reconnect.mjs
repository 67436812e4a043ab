// reconnect.mjs — the connection lost and regained: the daemon restarts
// under the page; the connection banner says so while the event stream
// is down, goes once it is back, and the chat works again.
export default async function (t) {
	const { page } = t;
	await t.signIn();
	await page.waitForSelector('[data-test=view-chat]');
	const restarted = t.restartDaemon();
	await page.waitForSelector('[data-test=connection-banner]',
	    { timeout: 20000 });
	await t.shot('lost');
	await restarted;
	await page.waitForSelector('[data-test=connection-banner]',
	    { state: 'detached', timeout: 30000 });
	await t.script([{ text: 'Back.' }]);
	await page.fill('[data-test=chat-input]', 'Still there?');
	await page.click('[data-test=send]');
	await page.waitForFunction(() => /Back\./.test(
	    document.querySelector('[data-test=messages]').textContent),
	    null, { timeout: 30000 });
	// While the daemon was down the browser logged its refused
	// connections itself.
	t.allow(/ERR_CONNECTION_REFUSED|Failed to fetch|net::ERR/);
	await t.shot('back');
}
