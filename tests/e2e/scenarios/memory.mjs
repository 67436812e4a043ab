// memory.mjs — the Memory view: counts by tier, type and protection (SVG
// bars), the topics (one opened), a keyword search, the tiers with their protection (and its
// filter), and a consolidation (Dream now) whose report is listed.
export default async function (ctx) {
	const { page, expect } = ctx;
	const a = await ctx.api('POST', '/api/memory', { content: 'The user prefers dark roast coffee',
	    tags: ['pref'], protection: 'high' });
	expect(a.status === 201, 'stored a memory: ' + JSON.stringify(a.body));
	await ctx.api('POST', '/api/memory', { content: 'Deploys happen on Tuesdays', protection: 'low' });
	await ctx.signIn();
	await page.click('[data-test=nav-memory]');
	await page.waitForSelector('svg[data-test=chart-tiers]');
	const stats = (await ctx.api('GET', '/api/memory/stats')).body;
	expect((await page.textContent('[data-test=memory-total]')).startsWith(stats.total + ' memories'),
	    'the total of /api/memory/stats');
	const desc = await page.textContent('svg[data-test=chart-tiers] desc');
	expect(desc.includes(`warm: ${stats.tiers.warm}`), 'the tier counts in the chart: ' + desc);
	const tiers = (await ctx.api('GET', '/api/memory/tiers')).body;
	const high = [...tiers.hot, ...tiers.warm, ...tiers.cold].filter((m) => m.protection === 'high').length;
	expect(high >= 1 && (await page.textContent('svg[data-test=chart-protection] desc')).includes('high: ' + high),
	    'the memories of high protection');

	// Topics: the tag is a topic; opening it lists its memories.
	const topics = (await ctx.api('GET', '/api/memory/topics')).body.topics;
	const pref = topics.find((t) => t.topic === 'pref');
	expect(pref && pref.count === 1, 'the topic pref: ' + JSON.stringify(topics));
	const row = page.locator('[data-test=memory-topics] [data-test=memory-topic][data-topic=pref]');
	expect(await row.locator('[data-test=memory-topic-count]').textContent() === '1', 'its count');
	await row.locator('[data-test=memory-topic-open]').click();
	await page.waitForSelector('[data-test=memory-topic-detail] [data-test=memory-item]');
	expect((await page.textContent('[data-test=memory-topic-detail]')).includes('dark roast'),
	    'the topic\'s memory');
	expect(await page.locator('[data-test=memory-topics] [data-test=memory-topic]').count() === topics.length,
	    'every topic listed');

	// Search.
	await page.fill('[data-test=memory-query]', 'coffee');
	await page.click('[data-test=memory-search-go]');
	await page.waitForSelector('[data-test=memory-results] [data-test=memory-item]');
	const hits = page.locator('[data-test=memory-results] [data-test=memory-item]');
	expect((await hits.first().textContent()).includes('dark roast'), 'the right memory');
	expect(await hits.first().locator('[data-test=memory-item-protection]').textContent() === 'high',
	    'its protection');
	// Which recall it used (the fake's answer is no list of words: not expanded).
	const recall = await page.textContent('[data-test=memory-results] [data-test=memory-recall]');
	expect(recall.startsWith('Recall: fts') && recall.includes('not expanded: '), 'the recall said: ' + recall);
	await page.fill('[data-test=memory-query]', 'zebra');
	await page.click('[data-test=memory-search-go]');
	await page.waitForSelector('[data-test=memory-results] [data-test=empty]');

	// The tiers, filtered by protection.
	await page.selectOption('[data-test=memory-tier]', 'warm');
	await page.selectOption('[data-test=memory-protection]', 'low');
	const items = page.locator('[data-test=memory-tier-list] [data-test=memory-item]');
	expect(await items.count() >= 1 && (await items.first().textContent()).includes('Tuesdays'),
	    'the warm, low-protection memory');
	for (const p of await items.locator('[data-test=memory-item-protection]').allTextContents())
		expect(p === 'low', 'only low protection');

	// Remember: stored with its type, tags and protection.
	await page.fill('[data-test=memory-content]', 'The staging host is called kiwi');
	await page.selectOption('[data-test=memory-new-type]', 'knowledge');
	await page.fill('[data-test=memory-new-tags]', 'infra, hosts');
	await page.selectOption('[data-test=memory-new-protection]', 'medium');
	await page.click('[data-test=memory-store]');
	await page.waitForFunction(() => document.querySelector('[data-test=memory-stored]')
	    .textContent.startsWith('Stored #'));
	const id = (await page.textContent('[data-test=memory-stored]')).match(/#(\d+)/)[1];
	const m = (await ctx.api('GET', '/api/memory/' + id)).body;
	expect(m.content === 'The staging host is called kiwi' && m.type === 'knowledge' &&
	    m.protection === 'medium' && m.tags.join() === 'infra,hosts', 'stored as given: ' + JSON.stringify(m));
	await page.waitForFunction(() => document.querySelector('svg[data-test=chart-protection] desc')
	    .textContent.includes('medium: 1'));

	// Dream now: a report appears.
	const before = (await ctx.api('GET', '/api/memory/dream/reports')).body.reports.length;
	await page.click('[data-test=memory-dream]');
	await page.waitForFunction((n) => document.querySelectorAll('[data-test=dream-report]').length > n,
	    before);
	await page.selectOption('[data-test=memory-protection]', '');
	await page.setViewportSize({ width: 1280, height: 1500 });
	await ctx.shot('view');
}
