// run.mjs — one browser end-to-end scenario against a running daemon:
// `node run.mjs NAME` runs scenarios/NAME.mjs in Debian's chromium
// (headless, driven by playwright-core) and exits 0 when it passed.
//
// Environment (set by conftest.py): OXIOS_URL (the dashboard), OXIOS_TOKEN
// (the API token), FAKE_URL (the fake LLM, scripted over its /__script
// route), E2E_ARTIFACTS (where screenshots go), CHROMIUM (the browser;
// default /usr/bin/chromium).
//
// Whatever the scenario does, the page is held to three rules, checked
// after it: no console error and no uncaught exception; every request to
// the daemon's /api carries the token (header) or a ticket (query); no
// request leaves the daemon's origin.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const name = process.argv[2];
const base = process.env.OXIOS_URL;
const token = process.env.OXIOS_TOKEN;
const fakeUrl = process.env.FAKE_URL;
const artifacts = process.env.E2E_ARTIFACTS || 'artifacts';

if (!name || !base || !token) {
	console.error('usage: OXIOS_URL=... OXIOS_TOKEN=... node run.mjs NAME');
	process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const problems = [];
const origin = new URL(base).origin;

// The context a scenario gets.
function context(page) {
	return {
		page,
		base,
		token,
		// Script the fake LLM's next turns (tests/fakes/README.md).
		async script(turns) {
			const r = await fetch(fakeUrl + '/__script', {
				method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ turns }),
			});
			if (!r.ok)
				throw new Error('fake: ' + (await r.text()));
		},
		// The daemon's API, for checks the page does not show.
		async api(method, path, body) {
			const r = await fetch(base + path, {
				method,
				headers: {
					Authorization: 'Bearer ' + token,
					'Content-Type': 'application/json',
				},
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const text = await r.text();
			return { status: r.status, body: text ? JSON.parse(text) : null };
		},
		async shot(label) {
			await page.screenshot({
				path: join(artifacts, `${name}-${label}.png`),
				fullPage: true,
			});
		},
		// Sign in through the form.
		async signIn() {
			await page.goto(base + '/');
			await page.fill('[data-test=signin-token]', token);
			await page.click('[data-test=signin-submit]');
			await page.waitForSelector('[data-test=nav]');
		},
		expect(cond, what) {
			if (!cond)
				throw new Error('expected: ' + what);
		},
		// Problems seen so far that a scenario expects (a 401 after a
		// bad token, say) are dropped with allow().
		allow(re) {
			for (let i = problems.length - 1; i >= 0; i--)
				if (re.test(problems[i]))
					problems.splice(i, 1);
		},
	};
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox', '--headless=new'],
});
let failed = null;
try {
	const ctx = await browser.newContext();
	const page = await ctx.newPage();
	page.on('console', (m) => {
		if (m.type() === 'error')
			problems.push('console error: ' + m.text());
	});
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	page.on('request', (req) => {
		const u = new URL(req.url());
		if (u.protocol === 'data:' || u.protocol === 'blob:')
			return;
		if (u.origin !== origin && u.origin !== origin.replace(/^http/, 'ws'))
			problems.push('request off origin: ' + req.url());
		else if (u.pathname.startsWith('/api/')) {
			const h = req.headers();
			if (!h.authorization && !u.searchParams.get('ticket'))
				problems.push('unauthenticated request: ' + req.method() +
				    ' ' + u.pathname);
		}
	});
	page.on('websocket', (ws) => {
		const u = new URL(ws.url());
		if (u.host !== new URL(base).host)
			problems.push('WebSocket off origin: ' + ws.url());
		else if (!u.searchParams.get('ticket'))
			problems.push('WebSocket without a ticket: ' + u.pathname);
	});
	const scenario = (await import(`./scenarios/${name}.mjs`)).default;
	await scenario(context(page));
} catch (e) {
	failed = e;
} finally {
	await browser.close();
}
if (failed) {
	console.error(`${name}: ${failed.stack || failed}`);
	if (problems.length)
		console.error('and:\n  ' + problems.join('\n  '));
	process.exit(1);
}
if (problems.length) {
	console.error(`${name}: the page broke its rules:\n  ` +
	    problems.join('\n  '));
	process.exit(1);
}
console.log(`${name}: ok`);
