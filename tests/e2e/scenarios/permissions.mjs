// permissions.mjs — the Permissions view: the default template and the
// templates table, a profile's template and grants set through the form
// (and read back by Edit), a bad grant refused in a banner with nothing
// written, and Reset after a confirmation.
export default async function (ctx) {
	const { page, expect } = ctx;
	const put = await ctx.api('PUT', '/api/permissions/e2e-ann',
	    { template: 'worker', grants: [{ resource: 'exec:git', rights: 'x' }] });
	expect(put.status === 200, 'a profile set over the API');

	await ctx.signIn();
	await page.goto(ctx.base + '/#/permissions');
	await page.waitForSelector('[data-test=perm-templates-table]');
	expect(await page.innerText('[data-test=perm-default-template]') === 'trusted',
	    'the default template shown');
	expect(await page.locator('[data-test=perm-template-row]').count() === 5,
	    'five templates');
	const ann = page.locator('[data-test=perm-row][data-agent=e2e-ann]');
	await ann.waitFor();
	expect((await ann.innerText()).includes('exec:git=x'), 'its grants shown');

	// Set a profile through the form.
	await page.fill('[data-test=perm-agent]', 'e2e-bob');
	await page.selectOption('[data-test=perm-template]', 'minimal');
	await page.fill('[data-test=perm-grants]', 'exec:ls=x\npath:./out//**=w');
	await page.click('[data-test=perm-save]');
	const bob = page.locator('[data-test=perm-row][data-agent=e2e-bob]');
	await bob.and(page.locator('[data-template=minimal]')).waitFor();
	const text = await bob.innerText();
	expect(text.includes('exec:ls=x') && text.includes('path:out/**=w'),
	    'the grants shown, normalised: ' + text);
	const b = await ctx.api('GET', '/api/permissions/e2e-bob');
	expect(b.body.template === 'minimal' && b.body.grants.length === 2,
	    'stored: ' + JSON.stringify(b.body));

	// Edit reads a profile back into the form.
	await page.fill('[data-test=perm-agent]', '');
	await ann.locator('[data-test=perm-edit]').click();
	expect(await page.inputValue('[data-test=perm-agent]') === 'e2e-ann' &&
	    await page.inputValue('[data-test=perm-template]') === 'worker' &&
	    await page.inputValue('[data-test=perm-grants]') === 'exec:git=x',
	    'the form filled by Edit');

	// A bad grant: the daemon's reason in a banner, nothing written.
	await page.fill('[data-test=perm-grants]', 'disk:x=r');
	await page.click('[data-test=perm-save]');
	await page.waitForSelector('[data-test=error-banner]', { timeout: 10000 });
	expect((await page.innerText('[data-test=error-banner]')).includes('disk:x'),
	    'the reason names the grant');
	ctx.allow(/400/);
	const a = await ctx.api('GET', '/api/permissions/e2e-ann');
	expect(a.body.grants.length === 1 && a.body.template === 'worker',
	    'unchanged: ' + JSON.stringify(a.body));
	await ctx.shot('view');

	// Reset: refused, kept; confirmed, back to the default.
	page.once('dialog', (d) => d.dismiss());
	await bob.locator('[data-test=perm-reset]').click();
	await page.waitForTimeout(300);
	expect((await ctx.api('GET', '/api/permissions/e2e-bob')).body.default === false,
	    'kept after Cancel');
	page.once('dialog', (d) => d.accept());
	await bob.locator('[data-test=perm-reset]').click();
	await page.waitForFunction(() => !document.querySelector(
	    '[data-test=perm-row][data-agent=e2e-bob]'), null, { timeout: 10000 });
	const r = await ctx.api('GET', '/api/permissions/e2e-bob');
	expect(r.body.default === true && r.body.template === 'trusted', 'reset');
}
