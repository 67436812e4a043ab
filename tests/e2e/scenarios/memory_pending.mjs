// memory_pending.mjs — Compact now says why periods wait: three closed
// days of notes and a cap of one model call a run (the daemon's
// memory.compaction_max_calls = 1), so a run writes one day and says the
// rest waits for the next; the next writes another.
export default async function (ctx) {
	const { page, expect } = ctx;
	await ctx.signIn();
	await page.click('[data-test=nav-memory]');
	const said = page.locator('[data-test=memory-compact-result]');
	for (const left of [2, 1]) {
		await page.evaluate(() => { document.querySelector('[data-test=memory-compact-result]').textContent = ''; });
		await page.click('[data-test=memory-compact]');
		await page.waitForFunction(() => document.querySelector('[data-test=memory-compact-result]')
		    .textContent.startsWith('Compaction:'));
		const text = await said.textContent();
		expect(new RegExp(`^Compaction: 1 written, 0 rewritten, ${2 - left} unchanged, ${left} pending; 1 model calls`).test(text),
		    'one day written, the rest pending: ' + text);
		expect(text.includes('A run makes at most 1 model calls: the next run goes on.'),
		    'and why they wait: ' + text);
	}
	await ctx.shot('view');
}
