// config.mjs — the Config view: the keys with their docs and defaults; a
// bad value is refused at its field, by the page (a number out of range)
// or by the daemon (a model that is not provider/model: error.key), and
// nothing is written; a good one is saved, applied, and a key that needs
// a restart says so.
const field = (key) => `[data-test=config-field][data-key="${key}"]`;
const input = (key) => `${field(key)} [data-test=config-input]`;

export default async function (ctx) {
	const { page, expect } = ctx;
	await ctx.signIn();
	await page.click('[data-test=nav-config]');
	await page.waitForSelector(input('gateway.rate_limit_per_min'));
	const schema = (await ctx.api('GET', '/api/config/schema')).body.keys;
	const rl = schema.find((k) => k.key === 'gateway.rate_limit_per_min');
	const doc = await page.textContent(field('gateway.rate_limit_per_min'));
	expect(doc.includes(rl.doc), 'the key\'s doc is shown');
	expect(doc.includes('default ' + rl.default), 'and its default');
	expect(await page.inputValue(input('gateway.rate_limit_per_min')) === '600',
	    'the effective value');

	// The filter hides the other sections.
	await page.fill('[data-test=config-filter]', 'rate_limit');
	expect(await page.isHidden(field('kernel.max_agents')), 'the filter hides kernel.max_agents');
	await page.fill('[data-test=config-filter]', '');

	// Out of range: refused in the page, no request made.
	await page.fill(input('gateway.rate_limit_per_min'), '-1');
	await page.click('[data-test=config-save]');
	await page.waitForSelector(`${field('gateway.rate_limit_per_min')} [data-test=config-error]:visible`);
	expect(await page.getAttribute(input('gateway.rate_limit_per_min'), 'aria-invalid') === 'true',
	    'the field is marked invalid');

	// Refused by the daemon: the message lands at its field.
	await page.fill(input('gateway.rate_limit_per_min'), '700');
	await page.fill(input('engine.default_model'), 'nomodel');
	await page.click('[data-test=config-save]');
	const err = `${field('engine.default_model')} [data-test=config-error]`;
	await page.waitForSelector(err + ':visible');
	expect((await page.textContent(err)).includes('is not provider/model'),
	    'the daemon\'s reason at the field');
	ctx.allow(/status of 400/);
	let cfg = (await ctx.api('GET', '/api/config')).body.config;
	expect(cfg.gateway.rate_limit_per_min === 600, 'nothing was written');

	// A good save: applied live, and the restart key says so.
	await page.fill(input('engine.default_model'), 'openai/gpt-4.1-mini');
	const fmt = schema.find((k) => k.key === 'logging.format');
	const fmtDefault = JSON.parse(fmt.default); // a TOML string literal
	const other = fmt.choices.split('|').find((c) => c !== fmtDefault);
	await page.selectOption(input('logging.format'), other);
	await page.click('[data-test=config-save]');
	await page.waitForSelector('[data-test=config-saved]');
	const saved = await page.textContent('[data-test=config-result]');
	expect(saved.includes('gateway.rate_limit_per_min') && saved.includes('engine.default_model'),
	    'what changed: ' + saved);
	cfg = (await ctx.api('GET', '/api/config')).body.config;
	expect(cfg.gateway.rate_limit_per_min === 700 && cfg.engine.default_model === 'openai/gpt-4.1-mini',
	    'the daemon has the new values');
	expect(await page.inputValue(input('gateway.rate_limit_per_min')) === '700', 'the form shows them');
	expect(fmt.restart, 'the schema says logging.format needs a restart');
	expect((await page.textContent('[data-test=config-restart]')).includes('logging.format'),
	    'a restart is asked for logging.format');
	await page.setViewportSize({ width: 1280, height: 1500 });
	await ctx.shot('view');

	// Back to the default: the reset sends null.
	await page.click(`${field('gateway.rate_limit_per_min')} [data-test=config-reset]`);
	await page.click(`${field('logging.format')} [data-test=config-reset]`);
	await page.click('[data-test=config-save]');
	await page.waitForSelector('[data-test=config-saved]');
	cfg = (await ctx.api('GET', '/api/config')).body;
	expect(cfg.config.gateway.rate_limit_per_min === 600 &&
	    cfg.sources['gateway.rate_limit_per_min'] === 'default' &&
	    cfg.config.logging.format === fmtDefault, 'the defaults again');
}
