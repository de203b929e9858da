// End-to-end test of the dashboard: a real agentlearn server with the SWE-bench Verified
// executions imported and trained, the page in headless Chromium.
//   node dashboard_e2e.mjs --binary build/agentlearn --data ../shared/data [--screenshots DIR]
import { readFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer, importFile, api, trainAndWait } from './server.mjs';
import { launch, axeSource } from './browser.mjs';

const { values: opts } = parseArgs({
  options: { binary: { type: 'string' }, data: { type: 'string' }, screenshots: { type: 'string' } },
});
if (!opts.binary || !opts.data) throw new Error('usage: dashboard_e2e.mjs --binary PATH --data DIR [--screenshots DIR]');

const ADMIN = 'e2e-admin-token';
const READ = 'e2e-read-token';
const XSS = '<img src=x onerror=alert(1)>';
const EXECUTIONS = join(resolve(opts.data), 'swebench-verified', 'executions.jsonl');

let failures = 0;
function check(ok, what, detail) {
  if (ok) console.log('ok   ' + what);
  else {
    failures++;
    console.log('FAIL ' + what + (detail !== undefined ? ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail)) : ''));
  }
}

// The oracle: the agent's success rate straight from the data file.
function successRateInFile(agent) {
  let n = 0;
  let s = 0;
  for (const line of readFileSync(EXECUTIONS, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (e.agent_id !== agent) continue;
    n++;
    if (e.success) s++;
  }
  return s / n;
}

// What the server answered that was not a success, for a failure's message.
const failedResponses = [];
let serverLog = () => '';

async function waitReady(page) {
  try {
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120000 });
  } catch (e) {
    // Say why the page never got ready: its banner and status line, the requests that failed,
    // and the end of the server's log.
    const shown = await page
      .evaluate(() => ({ banner: document.querySelector('#banner')?.textContent, updated: document.querySelector('#updated')?.textContent }))
      .catch((err) => ({ error: String(err) }));
    console.log('the page never got ready: ' + JSON.stringify(shown));
    console.log('failed responses: ' + JSON.stringify(failedResponses.slice(-20)));
    console.log('server log (end):\n' + serverLog().slice(-4000));
    throw e;
  }
}

async function leaderboardRow(page, agent) {
  return page.evaluate((id) => {
    for (const tr of document.querySelectorAll('#leaderboard tbody tr')) {
      if (tr.querySelector('th').textContent === id) return Array.from(tr.children, (c) => c.textContent);
    }
    return null;
  }, agent);
}

async function noHorizontalScroll(page, width) {
  await page.setViewportSize({ width, height: 900 });
  // The charts follow the width through a ResizeObserver: wait until each fits its box.
  await page.waitForFunction(() =>
    Array.from(document.querySelectorAll('.plot')).every((p) => {
      const u = p.querySelector('.uplot');
      return !u || u.getBoundingClientRect().width <= p.getBoundingClientRect().width + 1;
    }),
  );
  const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  check(m.scroll <= m.inner, `no horizontal scroll at ${width} px`, m);
}

async function main() {
  const server = await startServer(opts.binary, { tokens: [ADMIN + ':admin', READ + ':read'] });
  let browser;
  try {
    console.log('server at ' + server.url);
    serverLog = server.log;
    await importFile(opts.binary, server.url, ADMIN, EXECUTIONS);
    // The XSS agent's usual runs, before training: the set then has history for it, so its
    // outlier below is scored (a run of an agent the set never saw stays unscored).
    const usual = [];
    for (let i = 0; i < 30; i++) {
      usual.push({
        execution_id: `e2e/xss-usual-${i}`, agent_id: XSS, task_id: `e2e-usual-${i}`, task_type: 'astropy/astropy',
        task_description: 'Nested compound models', execution_time: 20 + (i % 7) * 3, success: i % 3 !== 0,
        metrics: { cost_usd: 0.2 + (i % 5) * 0.02, api_calls: 20 + (i % 7) * 3 }, timestamp: '2025-12-08T00:00:00Z',
      });
    }
    const batch = await api(server.url, '/agent/performance/batch', { token: ADMIN, method: 'POST', body: { records: usual } });
    check(batch.status === 201 || batch.status === 200, "the XSS agent's usual runs are recorded", batch.text);
    await trainAndWait(server.url, ADMIN);
    // An agent whose name is markup, with a run far outside everything seen: it must be
    // shown as text, in the leaderboard and among the anomalies.
    const rec = await api(server.url, '/agent/performance', {
      token: ADMIN,
      method: 'POST',
      body: {
        execution_id: 'e2e/xss-1', agent_id: XSS, task_id: 'astropy__astropy-12907', task_type: 'astropy/astropy',
        task_description: 'Nested compound models', execution_time: 4100, success: false,
        metrics: { cost_usd: 12.5, api_calls: 4100 }, timestamp: '2025-12-09T00:00:00Z',
      },
    });
    check(rec.status === 201, 'the XSS agent is recorded', rec.text);

    // The page and its assets: content types and a strict policy.
    for (const [path, type] of [['/dashboard', 'text/html'], ['/dashboard/boot.js', 'text/javascript'], ['/dashboard/dashboard.js', 'text/javascript'], ['/dashboard/dashboard.css', 'text/css']]) {
      const r = await api(server.url, path);
      check(r.status === 200 && (r.headers.get('content-type') || '').startsWith(type), `GET ${path} is ${type} without a token`, r.status + ' ' + r.headers.get('content-type'));
      const csp = r.headers.get('content-security-policy') || '';
      check(/script-src 'self'/.test(csp) && !/unsafe-inline|unsafe-eval/.test(csp), `GET ${path} has a strict Content-Security-Policy`, csp);
    }
    const html = (await api(server.url, '/dashboard')).text;
    check(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) && !/\son[a-z]+=/i.test(html), 'the page has no inline script');

    browser = await launch();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const dialogs = [];
    const problems = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push('console: ' + m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400) failedResponses.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    page.on('requestfailed', (r) => failedResponses.push(`failed ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    const offsite = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url)) offsite.push(r.url());
    });

    await page.goto(server.url + '/dashboard');
    // Tokens are configured: the page asks for one. A wrong one is refused.
    await page.waitForSelector('#token-dialog[open]');
    await page.fill('#token-input', 'not-a-token');
    await page.click('#token-submit');
    await page.waitForFunction(() => document.querySelector('#token-dialog').open && /refused/i.test(document.querySelector('#token-error').textContent));
    check(true, 'a wrong token is refused and the page asks again');

    // A read token: everything shows, admin controls are disabled.
    await page.fill('#token-input', READ);
    await page.click('#token-submit');
    await waitReady(page);
    check(await page.evaluate(() => sessionStorage.getItem('agentlearn.token')) === READ, 'the token is kept in sessionStorage');

    const expected = successRateInFile('claude-opus-4-5-20251101');
    const row = await leaderboardRow(page, 'claude-opus-4-5-20251101');
    check(row && row[1] === '500' && row[2] === (expected * 100).toFixed(1) + '%' && row[2] === '74.4%', 'the leaderboard shows claude-opus-4-5-20251101 with 500 runs at 74.4%', row);
    const agents = await page.$$eval('#leaderboard tbody tr', (trs) => trs.length);
    check(agents === 25, 'the leaderboard lists the 24 agents and the XSS one', agents);
    const total = await page.textContent('#t-executions');
    check(total === '12,031', 'the totals count every execution', total);

    const charts = await page.$$eval('.plot', (ps) => ps.map((p) => !!p.querySelector('canvas')));
    check(charts.length === 4 && charts.every(Boolean), 'the four charts have drawn', charts);
    // Away from the cursor each legend shows the latest bucket's values, never "--".
    const legends = await page.$$eval('.plot .u-legend .u-value', (vs) => vs.map((v) => v.textContent.trim()));
    check(legends.length >= 8 && legends.every((v) => v !== '' && v !== '--' && v !== '–'), 'every legend shows a value without a cursor', legends);

    const xssRow = await leaderboardRow(page, XSS);
    check(xssRow !== null, 'the XSS agent name shows as text in the leaderboard');
    check((await page.$$('main img')).length === 0, 'no image element was created from data');
    await page.waitForSelector('#anomalies li');
    const anomalyAgents = await page.$$eval('#anomalies li .agent', (n) => n.map((x) => x.textContent));
    check(rec.json && rec.json.anomaly === true, 'the hostile run is flagged', rec.json);
    check(anomalyAgents.includes(XSS), 'the flagged run is listed with its agent as text', { anomalyAgents, recorded: rec.json });
    // The anomaly total is given out of the runs the detector scored, not out of every run.
    const anomalyTotal = await page.textContent('#t-anomalies');
    check(/^[0-9,]+ of [0-9,]+ scored$/.test(anomalyTotal) || anomalyTotal === 'none scored', 'the anomaly total says out of how many scored runs', anomalyTotal);
    const whys = await page.$$eval('#anomalies li p:last-child', (n) => n.map((x) => x.textContent));
    check(whys.length > 0 && whys.every((w) => w.startsWith('Why: ') && !w.includes('the server gives no explanation')), 'each listed anomaly says why', whys);

    check(await page.isDisabled('#mode-save'), 'a read token cannot press Save');
    check((await page.$$eval('button[data-version]', (b) => b.every((x) => x.disabled))), 'a read token cannot roll back');
    // Were the control enabled anyway, the server's 403 is shown clearly.
    await page.evaluate(() => {
      for (const id of ['mode-select', 'mode-save']) document.getElementById(id).disabled = false;
    });
    await page.selectOption('#mode-select', 'exploit');
    await page.click('#mode-save');
    await page.waitForFunction(() => /403/.test(document.querySelector('#mode-status').textContent));
    check(/admin/.test(await page.textContent('#mode-status')), 'a read token changing the mode sees the 403 explained', await page.textContent('#mode-status'));
    const modeAfter403 = await api(server.url, '/learning/mode', { token: ADMIN });
    check(modeAfter403.json.mode !== 'exploit', 'nothing changed on a 403');

    // A typed task gets a recommendation with its reasoning.
    await page.fill('#preview-text', 'QuerySet.union() with ordering crashes when the ordering names a field of the second query');
    await page.fill('#preview-type', 'django/django');
    await page.click('#preview-form button[type=submit]');
    await page.waitForSelector('[data-testid=recommendation]');
    const primary = await page.textContent('[data-testid=recommendation] .big strong');
    const known = (await api(server.url, '/agents/performance', { token: READ })).json.agents.map((a) => a.agent_id);
    check(known.includes(primary), 'a typed task shows a recommended agent', primary);
    check(/Recommended|rules/.test(await page.textContent('[data-testid=recommendation] .reasoning')), 'the recommendation shows its reasoning');

    // An admin token: the mode can be changed.
    await page.click('#token-button');
    await page.fill('#token-input', ADMIN);
    await page.click('#token-submit');
    await waitReady(page);
    await page.waitForFunction(() => !document.getElementById('mode-save').disabled);
    await page.selectOption('#mode-select', 'apprentice');
    await page.click('#mode-save');
    await page.waitForFunction(() => /Saved/.test(document.querySelector('#mode-status').textContent));
    const mode = await api(server.url, '/learning/mode', { token: ADMIN });
    check(mode.json.mode === 'apprentice' && mode.json.configured_mode === 'apprentice', 'an admin changes the mode', mode.json);
    await page.waitForFunction(() => /apprentice/.test(document.querySelector('#mode-now').textContent));

    // A second model set: the first becomes an accepted set an admin can roll back to.
    const second = await api(server.url, '/learning/train', { token: ADMIN, method: 'POST', body: { wait: true } });
    check(second.status === 200 && second.json.status === 'succeeded', 'a second model set is trained', second.text);
    const before = (await api(server.url, '/models/status', { token: ADMIN })).json;
    const accepted = before.model_sets.find((m) => m.status === 'accepted');
    const rejected = before.model_sets.find((m) => m.status === 'rejected');
    // A filter change reloads every panel.
    await page.selectOption('#range', '365');
    await page.selectOption('#range', 'all');
    await page.waitForFunction((n) => document.querySelectorAll('#model-sets li.set').length === n, before.model_sets.length);
    check(await page.$eval('#model-sets li.set.active .version', (n) => n.textContent) === before.active_model_set, 'the active set is marked');
    // The routing panel names the policy the active set serves and lists every policy, each
    // bounded by the oracle (all scored on the same held-out tasks).
    const activeSet = before.model_sets.find((m) => m.status === 'active');
    const held = activeSet.routing;
    check(held && held.served_policy === before.routing_policy.served, 'the held-out figures name the served policy', held);
    if (held) {
      await page.waitForFunction((v) => document.querySelector('#routing').textContent.includes(v), activeSet.version);
      const panel = await page.$eval('#routing', (n) => n.textContent);
      check(panel.includes(`Routed by the ${held.served_policy} policy`), 'the routing panel names the served policy', panel);
      check(held.policies.every((p) => panel.includes(p.policy === 'best_single' ? 'Best single agent' : `Policy ${p.policy}`)),
        'the routing panel lists every policy', panel);
      check(held.policies.every((p) => p.success <= held.oracle), 'the oracle bounds every policy', held);
    }
    if (accepted) {
      await page.click(`button[data-version="${accepted.version}"]`);
      await page.waitForFunction(() => /is active/.test(document.querySelector('#rollback-status').textContent));
      const after = (await api(server.url, '/models/status', { token: ADMIN })).json;
      check(after.active_model_set === accepted.version, 'an admin rolls back to the accepted set', after.active_model_set);
    } else {
      const reason = await page.$eval('#model-sets li.set.rejected .reason', (n) => n.textContent);
      check(rejected && reason.includes(rejected.reason), 'a rejected set shows why', reason);
    }

    // Accessibility and layout at a desktop and a phone width.
    await page.evaluate(axeSource());
    for (const width of [1280, 390]) {
      await noHorizontalScroll(page, width);
      const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      check(result.violations.length === 0, `axe-core finds no violations at ${width} px`,
        result.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
      if (opts.screenshots) {
        mkdirSync(opts.screenshots, { recursive: true });
        await page.screenshot({ path: join(opts.screenshots, `dashboard-${width}.png`), fullPage: true });
      }
    }

    check(dialogs.length === 0, 'no dialog fired', dialogs);
    check(problems.length === 0, 'no script error and no Content-Security-Policy violation', problems);
    check(offsite.length === 0, 'the page asked nothing of any other host', offsite);
  } finally {
    if (browser) await browser.close();
    await server.stop();
  }
}

main().then(
  () => {
    console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
    process.exit(failures ? 1 : 0);
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
