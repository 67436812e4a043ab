// tokens.mjs — the Tokens view and roles in the views: an admin makes a
// viewer token (shown once, with Copy), sees it listed; signed in as the
// viewer, Chat has no input, Config no Save, Permissions no form,
// Approvals no answers, Tokens lists nothing;
// back as the admin, Revoke (refused, kept; confirmed, revoked).
export default async function (ctx) {
	const { page, expect } = ctx;
	await ctx.signIn();
	await page.goto(ctx.base + '/#/tokens');
	await page.waitForSelector('[data-test=token-form]');
	const who = await page.innerText('[data-test=tokens-whoami]');
	expect(who.includes('admin'), 'signed in as the admin: ' + who);

	// Make a viewer token: shown once.
	await page.fill('[data-test=token-name]', 'e2e-viewer');
	await page.selectOption('[data-test=token-role]', 'viewer');
	await page.selectOption('[data-test=token-expires]', '7d');
	await page.click('[data-test=token-create]');
	await page.waitForSelector('[data-test=token-value]');
	const token = await page.inputValue('[data-test=token-value]');
	expect(/^oxt_[A-Za-z0-9_-]{43}$/.test(token), 'a token: ' + token);
	const row = page.locator('[data-test=token-row][data-name=e2e-viewer]');
	await row.and(page.locator('[data-state=active]')).waitFor();
	expect((await row.innerText()).includes('viewer'), 'listed as a viewer');
	const list = await ctx.api('GET', '/api/tokens');
	expect(!JSON.stringify(list.body).includes(token), 'never listed again');
	await ctx.shot('view');
	await page.click('[data-test=token-dismiss]');
	expect(await page.locator('[data-test=token-value]').count() === 0,
	    'gone once dismissed');

	// Signed in as the viewer: reads, but no chat, no saving, no tokens.
	await page.click('[data-test=signout]');
	await page.fill('[data-test=signin-token]', token);
	await page.click('[data-test=signin-submit]');
	await page.waitForSelector('[data-test=nav-chat]');
	await page.waitForFunction(() =>
	    document.documentElement.dataset.role === 'viewer');
	await page.goto(ctx.base + '/#/chat');
	await page.waitForSelector('[data-test=chat-form][data-readonly=true]');
	expect(await page.isDisabled('[data-test=send]'), 'no Send for a viewer');
	expect(await page.isDisabled('[data-test=chat-input]'),
	    'no input for a viewer');
	await page.goto(ctx.base + '/#/config');
	await page.waitForSelector('[data-test=config-readonly]');
	expect(!(await page.isVisible('[data-test=config-save]')),
	    'no Save for a viewer');
	await page.goto(ctx.base + '/#/budgets');
	await page.waitForSelector('[data-test=budget-global-table]');
	expect(!(await page.isVisible('[data-test=budget-form]')),
	    'no Set limits for a viewer');
	await page.goto(ctx.base + '/#/permissions');
	await page.waitForSelector('[data-test=perm-readonly]');
	expect(!(await page.isVisible('[data-test=perm-form]')),
	    'no Set permissions for a viewer');
	await page.goto(ctx.base + '/#/approvals');
	await page.waitForSelector('[data-test=approvals-readonly]');
	await page.goto(ctx.base + '/#/tokens');
	await page.waitForSelector('[data-test=tokens-readonly]');
	expect((await page.innerText('[data-test=tokens-whoami]'))
	    .includes('e2e-viewer'), 'signed in as the viewer');
	await ctx.shot('viewer');

	// Back as the admin: revoke, refused then confirmed.
	await page.click('[data-test=signout]');
	await ctx.signIn();
	await page.goto(ctx.base + '/#/tokens');
	await row.waitFor();
	page.once('dialog', (d) => d.dismiss());
	await row.locator('[data-test=token-revoke]').click();
	await page.waitForTimeout(300);
	let t = (await ctx.api('GET', '/api/tokens')).body.tokens
	    .find((x) => x.name === 'e2e-viewer');
	expect(t.state === 'active', 'kept after Cancel');
	page.once('dialog', (d) => d.accept());
	await row.locator('[data-test=token-revoke]').click();
	await row.and(page.locator('[data-state=revoked]')).waitFor();
	t = (await ctx.api('GET', '/api/tokens')).body.tokens
	    .find((x) => x.name === 'e2e-viewer');
	expect(t.state === 'revoked', 'revoked');
}
