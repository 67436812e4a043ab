// skills.mjs — the Skills view: the bundled skills listed as ready, a
// needs-setup skill with its reason and install hint, a skill's content
// shown, Disable and Enable through the buttons (checked over the API),
// and a malformed file listed as skipped.
export default async function (ctx) {
	const { page, expect } = ctx;
	const ins = await ctx.api('POST', '/api/skills', {
		name: 'e2e-needs',
		content: '---\ndescription: Needs a program.\nrequires:\n' +
		    '  bins: [oxios-e2e-nosuch]\ninstall:\n  - kind: apt\n' +
		    '    package: oxios-e2e-nosuch\n---\nE2E-NEEDS-BODY\n',
	});
	expect(ins.status === 201, 'a skill installed over the API');

	await ctx.signIn();
	await page.goto(ctx.base + '/#/skills');
	await page.waitForSelector('[data-test=skills-table]');
	const debug = page.locator('[data-test=skill-row][data-name=debug]');
	await debug.waitFor();
	expect(await debug.getAttribute('data-status') === 'ready', 'debug ready');
	expect((await debug.innerText()).includes('bundled'), 'its source');
	const needs = page.locator('[data-test=skill-row][data-name=e2e-needs]');
	await needs.waitFor();
	const t = await needs.innerText();
	expect(t.includes('needs-setup') && t.includes('oxios-e2e-nosuch') &&
	    t.includes('apt install oxios-e2e-nosuch'),
	    'the reason and the hint: ' + t);

	// Content.
	await needs.locator('[data-test=skill-view]').click();
	await page.waitForSelector('[data-test=skill-body]');
	expect((await page.innerText('[data-test=skill-body]')).includes('E2E-NEEDS-BODY'),
	    'the body shown');
	await ctx.shot('view');

	// Disable, then enable.
	await debug.locator('[data-test=skill-disable]').click();
	await page.locator('[data-test=skill-row][data-name=debug][data-status=disabled]').waitFor();
	let r = await ctx.api('GET', '/api/skills/debug');
	expect(r.body.status === 'disabled' && r.body.enabled === false, 'disabled: ' + JSON.stringify(r.body.status));
	await page.locator('[data-test=skill-row][data-name=debug] [data-test=skill-enable]').click();
	await page.locator('[data-test=skill-row][data-name=debug][data-status=ready]').waitFor();
	r = await ctx.api('GET', '/api/skills/debug');
	expect(r.body.status === 'ready', 'enabled again');

	const del = await ctx.api('DELETE', '/api/skills/e2e-needs');
	expect(del.status === 200, 'deleted');
	await page.waitForFunction(() => !document.querySelector(
	    '[data-test=skill-row][data-name=e2e-needs]'), null, { timeout: 10000 });
}
