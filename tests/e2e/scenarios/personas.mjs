// personas.mjs — the Personas view: the shipped personas with Dev the
// default, one created through the form (read back by Edit and saved),
// Use making it the default, a bad model refused in a banner with
// nothing written, and Delete after a confirmation.
export default async function (ctx) {
	const { page, expect } = ctx;

	await ctx.signIn();
	await page.goto(ctx.base + '/#/personas');
	await page.waitForSelector('[data-test=persona-table]');
	expect(await page.innerText('[data-test=persona-default-name]') === 'Dev',
	    'Dev is the default');
	for (const n of ['Dev', 'Review', 'Research']) {
		expect(await page.locator(`[data-test=persona-row][data-name=${n}]`).count() === 1,
		    n + ' listed');
	}
	expect(await page.locator('[data-test=persona-row][data-name=Dev] [data-test=persona-delete]').count() === 0,
	    'a shipped persona without edits has no Delete');

	// Create through the form.
	await page.fill('[data-test=persona-name]', 'E2e-Pirate');
	await page.fill('[data-test=persona-role]', 'sea dog');
	await page.fill('[data-test=persona-tools]', 'read, ls');
	await page.fill('[data-test=persona-traits]', 'salty');
	await page.fill('[data-test=persona-prompt]', 'Talk like a pirate.');
	await page.click('[data-test=persona-save]');
	const row = page.locator('[data-test=persona-row][data-name=E2e-Pirate]');
	await row.waitFor();
	expect((await row.innerText()).includes('read, ls'), 'its tools shown');
	let got = await ctx.api('GET', '/api/personas/e2e-pirate');
	expect(got.status === 200 && got.body.role === 'sea dog' &&
	    JSON.stringify(got.body.tools) === '["read","ls"]',
	    'stored: ' + JSON.stringify(got.body));

	// Edit reads it back; a bad model is refused, nothing written.
	await row.locator('[data-test=persona-edit]').click();
	expect(await page.inputValue('[data-test=persona-prompt]') === 'Talk like a pirate.',
	    'the form filled by Edit');
	await page.fill('[data-test=persona-model]', 'no-slash');
	await page.click('[data-test=persona-save]');
	await page.waitForSelector('[data-test=error-banner]', { timeout: 10000 });
	expect((await page.innerText('[data-test=error-banner]')).includes('provider/model'),
	    'the reason shown');
	ctx.allow(/400/);
	got = await ctx.api('GET', '/api/personas/e2e-pirate');
	expect(got.body.model === null, 'unchanged: ' + JSON.stringify(got.body));
	await page.fill('[data-test=persona-model]', 'openai/gpt-4.1-mini');
	await page.click('[data-test=persona-save]');
	for (let i = 0; i < 50; i++) {
		got = await ctx.api('GET', '/api/personas/e2e-pirate');
		if (got.body.model === 'openai/gpt-4.1-mini') break;
		await page.waitForTimeout(100);
	}
	expect(got.body.model === 'openai/gpt-4.1-mini', 'saved: ' + JSON.stringify(got.body));

	// Use: the default.
	await row.locator('[data-test=persona-use]').click();
	await page.locator('[data-test=persona-row][data-name=E2e-Pirate][data-default=true]').waitFor();
	const a = await ctx.api('GET', '/api/personas/active');
	expect(a.body.persona === 'E2e-Pirate', 'the default: ' + JSON.stringify(a.body));
	await ctx.shot('view');

	// Delete: refused, kept; confirmed, gone.
	page.once('dialog', (d) => d.dismiss());
	await row.locator('[data-test=persona-delete]').click();
	await page.waitForTimeout(300);
	expect((await ctx.api('GET', '/api/personas/e2e-pirate')).status === 200, 'kept after Cancel');
	page.once('dialog', (d) => d.accept());
	await row.locator('[data-test=persona-delete]').click();
	await page.waitForFunction(() => !document.querySelector(
	    '[data-test=persona-row][data-name=E2e-Pirate]'), null, { timeout: 10000 });
	expect((await ctx.api('GET', '/api/personas/e2e-pirate')).status === 404, 'deleted');
}
