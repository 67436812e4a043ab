// seeds.mjs — the Seeds view: the seeds listed (test_views_A.py stored a
// lineage of two generations and another seed), one opened: its
// specification, each generation's criteria with their results and
// scores, and why the run stopped.
export default async function (ctx) {
	const { page, expect } = ctx;
	const list = await ctx.api('GET', '/api/seeds');
	const g2 = list.body.seeds.find((s) => s.generation === 2);
	expect(g2, 'the second generation stored');

	await ctx.signIn();
	await page.goto(ctx.base + '/#/seeds');
	await page.waitForSelector('[data-test=seed-row]');
	expect(await page.locator('[data-test=seed-row]').count() ===
	    list.body.seeds.length, 'every seed listed');
	const row = page.locator(`[data-test=seed-row][data-id="${g2.id}"]`);
	expect((await row.innerText()).includes('every criterion passed'),
	    'the stop reason in the list');
	await row.locator('[data-test=seed-open]').click();
	await page.waitForSelector('[data-test=generation]');
	expect(page.url().endsWith('#/seeds/' + g2.id), 'the address');

	const gens = page.locator('[data-test=generation]');
	expect(await gens.count() === 2, 'two generations');
	const first = gens.nth(0), second = gens.nth(1);
	expect(await first.getAttribute('data-generation') === '1' &&
	    await second.getAttribute('data-generation') === '2', 'oldest first');
	expect(await first.locator('[data-test=generation-score]').innerText() ===
	    'score 0.50', 'the first score');
	expect(await first.locator('[data-test=criterion][data-id=c1]')
	    .getAttribute('data-passed') === 'false', 'c1 failed at first');
	const c1 = await first.locator('[data-test=criterion][data-id=c1]')
	    .innerText();
	expect(c1.includes('mechanical') && c1.includes('no such file'),
	    'the check that failed: ' + c1);
	expect(await second.locator('[data-test=criterion][data-id=c1]')
	    .getAttribute('data-passed') === 'true', 'c1 passed then');
	expect(await second.locator('[data-test=generation-score]').innerText() ===
	    'score 1.00', 'the second score');
	expect((await second.innerText()).includes('c1 failed: hello.txt was missing'),
	    'why the second generation');
	const stop = await page.locator('[data-test=seed-stop]').innerText();
	expect(stop.includes('passed') && stop.includes('every criterion passed') &&
	    stop.includes('2 generations'), 'the outcome: ' + stop);
	await page.click('[data-test=seed-spec] summary');
	const spec = await page.locator('[data-test=seed-spec]').innerText();
	expect(spec.includes('test -f hello.txt') && spec.includes('no network'),
	    'the specification: ' + spec);
	await ctx.shot('view');

	// An unknown seed in the address: said so, no banner.
	await page.goto(ctx.base + '/#/seeds/0e8400e2-9b1d-41d4-a716-446655440000');
	await page.waitForSelector('[data-test=seed-detail] [data-test=empty]');
	expect(await page.locator('[data-test=error-banner]').count() === 0,
	    'no banner for an unknown seed');
	// Its two 404s (the seed; the page asks no more) are expected.
	ctx.allow(/status of 404/);
	await page.click('[data-test=seed-row] [data-test=seed-open] >> nth=0');
	await page.waitForSelector('[data-test=generation]');
}
