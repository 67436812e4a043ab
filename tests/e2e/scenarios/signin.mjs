// signin.mjs — the sign-in form: a wrong token is refused with a clear
// message and the form stays; the right one opens the dashboard; sign out
// forgets it.
export default async function (t) {
	const { page, base } = t;
	await page.goto(base + '/');
	await page.waitForSelector('[data-test=signin-form]');
	await t.shot('form');
	await page.fill('[data-test=signin-token]', 'oxt_wrong');
	await page.click('[data-test=signin-submit]');
	const err = await page.waitForSelector('[data-test=signin-error]:not(:empty)');
	const text = await err.textContent();
	t.expect(/token/i.test(text), 'the refusal names the token: ' + text);
	// The browser logs the refused request itself.
	t.allow(/401/);
	await t.signIn();
	await page.waitForSelector('[data-test=view-chat]');
	await t.shot('signed-in');
	await page.click('[data-test=signout]');
	await page.waitForSelector('[data-test=signin-form]');
	const kept = await page.evaluate(() => sessionStorage.length);
	t.expect(kept === 0, 'sign out forgets the token');
}
