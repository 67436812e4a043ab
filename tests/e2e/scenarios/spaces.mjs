// spaces.mjs — the Spaces view: a space made over the API listed with its
// emoji, paths and tags; one created through the form, edited (Edit puts
// it in the form, Save changes it), a bad path refused in a banner with
// nothing written, and Delete after a confirmation.
export default async function (ctx) {
	const { page, expect } = ctx;
	const made = await ctx.api('POST', '/api/spaces',
	    { name: 'Garden', emoji: 'G', paths: ['garden/'], tags: ['plants'] });
	expect(made.status === 201, 'a space made over the API');

	await ctx.signIn();
	await page.goto(ctx.base + '/#/spaces');
	const garden = page.locator('[data-test=space-row][data-name=Garden]');
	await garden.waitFor();
	const text = await garden.innerText();
	expect(text.includes('garden/') && text.includes('plants'), 'its paths and tags: ' + text);

	// Create through the form.
	await page.fill('[data-test=space-name]', 'Infra');
	await page.fill('[data-test=space-paths]', 'deploy/*.yml, ops/');
	await page.fill('[data-test=space-tags]', 'k8s');
	await page.click('[data-test=space-save]');
	const infra = page.locator('[data-test=space-row][data-name=Infra]');
	await infra.waitFor();
	const list = await ctx.api('GET', '/api/spaces');
	const i = list.body.find((s) => s.name === 'Infra');
	expect(i && i.paths.join(' ') === 'deploy/*.yml ops/' && i.tags[0] === 'k8s',
	    'stored: ' + JSON.stringify(list.body));

	// Edit: the form filled, a change saved.
	await infra.locator('[data-test=space-edit]').click();
	expect(await page.inputValue('[data-test=space-name]') === 'Infra', 'the form filled by Edit');
	await page.fill('[data-test=space-description]', 'The cluster');
	await page.click('[data-test=space-save]');
	await page.waitForFunction(() => {
		const r = document.querySelector('[data-test=space-row][data-name=Infra]');
		return r && r.textContent.includes('The cluster');
	}, null, { timeout: 10000 });

	// A bad path: the reason in a banner, nothing written.
	await page.fill('[data-test=space-name]', 'Bad');
	await page.fill('[data-test=space-paths]', '/etc');
	await page.click('[data-test=space-save]');
	await page.waitForSelector('[data-test=error-banner]', { timeout: 10000 });
	expect((await page.innerText('[data-test=error-banner]')).includes('paths'),
	    'the reason names the paths');
	ctx.allow(/400/);
	expect((await ctx.api('GET', '/api/spaces')).body.length === 2, 'nothing written');
	await ctx.shot('view');

	// Delete: refused, kept; confirmed, gone.
	page.once('dialog', (d) => d.dismiss());
	await garden.locator('[data-test=space-delete]').click();
	await page.waitForTimeout(300);
	expect((await ctx.api('GET', '/api/spaces/Garden')).status === 200, 'kept after Cancel');
	page.once('dialog', (d) => d.accept());
	await garden.locator('[data-test=space-delete]').click();
	await page.waitForFunction(() => !document.querySelector(
	    '[data-test=space-row][data-name=Garden]'), null, { timeout: 10000 });
	ctx.allow(/404/);
	expect((await ctx.api('GET', '/api/spaces/Garden')).status === 404, 'deleted');
}
