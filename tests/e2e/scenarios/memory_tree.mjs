// memory_tree.mjs — the Memory view's compaction levels: the topic ops
// (two weeks of notes, compacted before the daemon started) shows its
// root summary, which folds out to the month, the weeks, the days and the
// notes, as GET /api/memory/{id}/tree has them; Compact now then changes
// nothing.
export default async function (ctx) {
	const { page, expect } = ctx;
	const topic = (await ctx.api('GET', '/api/memory/topics/ops')).body;
	const root = topic.memories.find((m) => m.type === 'summary');
	expect(root, 'a root summary under ops: ' + JSON.stringify(topic));
	const tree = (await ctx.api('GET', '/api/memory/' + root.id + '/tree')).body;
	expect(tree.level === 'root' && tree.period === 'ops', 'the root: ' + JSON.stringify(tree));
	const count = (n, level) => (n.level === level || (!n.level && level === 'raw') ? 1 : 0) +
	    (n.children || []).reduce((s, c) => s + count(c, level), 0);
	expect(count(tree, 'monthly') === 1 && count(tree, 'weekly') >= 2 && count(tree, 'daily') === 14 &&
	    count(tree, 'raw') === 14, 'the levels of the API tree');

	await ctx.signIn();
	await page.click('[data-test=nav-memory]');
	const row = page.locator('[data-test=memory-topics] [data-test=memory-topic][data-topic=ops]');
	await row.locator('[data-test=memory-topic-open]').click();
	const view = '[data-test=memory-topic-detail] [data-test=memory-topic-tree]';
	await page.waitForSelector(view + ' [data-test=memory-tree-node][data-level=root]');
	for (const level of ['monthly', 'weekly', 'daily', 'raw'])
		expect(await page.locator(`${view} [data-test=memory-tree-node][data-level=${level}]`).count() ===
		    count(tree, level), 'every ' + level + ' node shown');
	// Folded below the root: a week shows once its month is opened.
	const month = page.locator(`${view} [data-test=memory-tree-node][data-level=monthly]`);
	const week = month.locator('[data-test=memory-tree-node][data-level=weekly]').first();
	expect(!(await week.isVisible()), 'the weeks start folded');
	await month.locator('[data-test=memory-tree-open]').first().click();
	await week.waitFor({ state: 'visible' });
	expect((await week.locator('[data-test=memory-tree-level]').first().textContent()).startsWith('weekly 2025-W'),
	    'a week\'s level and period');
	await week.locator('[data-test=memory-tree-open]').first().click();
	const day = week.locator('[data-test=memory-tree-node][data-level=daily]').first();
	await day.locator('[data-test=memory-tree-open]').first().click();
	const note = day.locator('[data-test=memory-tree-node][data-level=raw]').first();
	await note.waitFor({ state: 'visible' });
	expect((await note.textContent()).includes('Ops note of day'), 'a raw note at the bottom');
	// Compact now: every closed period is summarised already, so the run
	// changes nothing and asks the model nothing.
	await page.click('[data-test=memory-compact]');
	const said = page.locator('[data-test=memory-compact-result]');
	await page.waitForFunction(() => document.querySelector('[data-test=memory-compact-result]')
	    .textContent.startsWith('Compaction:'));
	const text = await said.textContent();
	expect(/ 0 written, 0 rewritten, [1-9]\d* unchanged, 0 pending; 0 model calls/.test(text),
	    'a second compaction changes nothing: ' + text);
	await ctx.shot('view');
}
