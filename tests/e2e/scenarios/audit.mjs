// audit.mjs — the Audit view: entries with a filter by action, the
// verification of the log and its result, signing a head, and an
// entry's inclusion proof.
export default async function (ctx) {
	const { page, expect } = ctx;
	await ctx.api('POST', '/api/memory', { content: 'audited memory' });
	await ctx.api('PUT', '/api/config', { 'kernel.zombie_secs': 901 });
	await ctx.api('PUT', '/api/config', { 'kernel.zombie_secs': null });
	await ctx.signIn();
	await page.click('[data-test=nav-audit]');
	await page.waitForSelector('[data-test=audit-entry]');
	const all = (await ctx.api('GET', '/api/audit/entries?limit=50')).body.entries;
	expect(await page.locator('[data-test=audit-entry]').count() === all.length,
	    'the entries of /api/audit/entries');

	// Filter by action.
	await page.fill('[data-test=audit-action]', 'config_change');
	await page.click('[data-test=audit-apply]');
	await page.waitForFunction(() => [...document.querySelectorAll('[data-test=audit-entry]')]
	    .every((e) => e.dataset.action === 'config_change'));
	const n = all.filter((e) => e.action === 'config_change').length;
	expect(n >= 2 && await page.locator('[data-test=audit-entry]').count() === n,
	    'only the config changes');
	await page.fill('[data-test=audit-action]', 'no_such_action');
	await page.click('[data-test=audit-apply]');
	await page.waitForSelector('[data-test=audit-entries] [data-test=empty]');
	expect((await page.textContent('[data-test=audit-entries]')).includes("unknown action 'no_such_action'"),
	    'the daemon\'s refusal where the entries go');
	expect(await page.isVisible('[data-test=error-banner]'), 'and in a banner');
	ctx.allow(/status of 400/);
	await page.fill('[data-test=audit-action]', '');
	await page.click('[data-test=audit-apply]');
	await page.waitForSelector('[data-test=audit-entry]');

	// Verify.
	await page.click('[data-test=audit-verify]');
	await page.waitForSelector('[data-test=audit-verdict]');
	expect(await page.getAttribute('[data-test=audit-verify-result]', 'data-ok') === 'yes',
	    'the log verifies');
	expect((await page.textContent('[data-test=audit-verdict]')).includes('The log verifies'),
	    'and says so');

	// Sign a head, then the first entry's inclusion proof.
	await page.click('[data-test=audit-flush]');
	await page.waitForSelector('[data-test=audit-flushed]');
	await page.locator('[data-test=audit-proof]').first().click();
	await page.waitForSelector('[data-test=audit-proof-body]');
	const seq = await page.locator('[data-test=audit-entry]').first().getAttribute('data-seq');
	const proof = (await ctx.api('GET', '/api/audit/proof/' + seq)).body;
	expect((await page.textContent('[data-test=audit-proof-body]')).includes(proof.leaf),
	    'the proof shows the leaf');
	expect(await page.getAttribute('[data-test=audit-proof]', 'aria-expanded') === 'true',
	    'the proof button is expanded');
	await page.setViewportSize({ width: 1280, height: 1500 });
	await ctx.shot('view');
}
