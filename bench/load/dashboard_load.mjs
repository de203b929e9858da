// Cold loads of the dashboard in headless Chromium: navigation start to <body data-ready>
// (the page's "data-ready" performance mark), each in a fresh browser context (empty cache).
//   node bench/load/dashboard_load.mjs --url http://127.0.0.1:PORT --modules build/e2e/node_modules [--runs 5]
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: { url: { type: 'string' }, modules: { type: 'string' }, runs: { type: 'string', default: '5' } },
});
const require = createRequire(resolve(opts.modules) + '/');
const { chromium } = require('playwright-core');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
const times = [];
try {
  for (let i = 0; i < Number(opts.runs); i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(opts.url + '/dashboard');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120000 });
    const t = await page.evaluate(() => {
      const mark = performance.getEntriesByName('data-ready')[0];
      const res = performance.getEntriesByType('resource').map((r) => [new URL(r.name).pathname, Math.round(r.startTime), Math.round(r.responseEnd - r.startTime)]);
      const nav = performance.getEntriesByType('navigation')[0];
      return { ready: mark.startTime, html: Math.round(nav.responseEnd), dcl: Math.round(nav.domContentLoadedEventEnd), resources: res };
    });
    times.push(t.ready);
    console.log(`load ${i + 1}: ${t.ready.toFixed(0)} ms (page received ${t.html} ms, DOMContentLoaded ${t.dcl} ms; requests: path @start +duration) ` + t.resources.map(([p, st, d]) => `${p} @${st} +${d}`).join(', '));
    await context.close();
  }
} finally {
  await browser.close();
}
const sorted = times.slice().sort((a, b) => a - b);
console.log(`median of ${times.length} cold loads, navigation start to data-ready: ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms`);
