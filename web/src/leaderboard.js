// The totals tiles and the sortable agent leaderboard.
import { el, $, fill } from './dom.js';
import { pct, int, num, usd, when, ago } from './format.js';

const VALUE = {
  agent_id: (a) => a.agent_id,
  executions: (a) => a.executions,
  success_rate: (a) => a.success_rate,
  p50: (a) => (a.execution_time ? a.execution_time.p50 : null),
  p95: (a) => (a.execution_time ? a.execution_time.p95 : null),
  mean_cost_usd: (a) => a.mean_cost_usd,
  last_seen: (a) => a.last_seen,
};

let sortKey = 'success_rate';
let sortDir = -1; // descending
let rows = [];

export function renderTotals(totals, rangeText, approximateCost) {
  $('t-executions').textContent = int(totals.executions);
  $('t-agents').textContent = int(totals.agents);
  $('t-success').textContent = pct(totals.success_rate);
  $('t-cost').textContent = (approximateCost ? '≈ ' : '') + usd(totals.cost_usd);
  $('t-anomalies').textContent = anomaliesText(totals);
  $('totals-range').textContent = rangeText;
}

// "12 of 11,200 scored": an anomaly count means something only beside the runs the detector
// scored (a run of an agent or task type it has no history for is not scored).
function anomaliesText(totals) {
  if (totals.anomalies === null || totals.anomalies === undefined) return '–';
  if (totals.scored === null || totals.scored === undefined) return int(totals.anomalies);
  if (!totals.scored) return 'none scored';
  return `${int(totals.anomalies)} of ${int(totals.scored)} scored`;
}

function compare(a, b) {
  const va = VALUE[sortKey](a);
  const vb = VALUE[sortKey](b);
  // Missing values go last whichever way the column is sorted.
  if (va === null || va === undefined) return vb === null || vb === undefined ? 0 : 1;
  if (vb === null || vb === undefined) return -1;
  const c = typeof va === 'string' ? (va < vb ? -1 : va > vb ? 1 : 0) : va - vb;
  return c * sortDir || (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0);
}

function draw() {
  const body = $('leaderboard').querySelector('tbody');
  const sorted = rows.slice().sort(compare);
  const now = Date.now();
  fill(
    body,
    sorted.map((a) =>
      el(
        'tr',
        null,
        el('th', { scope: 'row', 'data-label': 'Agent', class: 'agent' }, a.agent_id),
        el('td', { 'data-label': 'Executions', class: 'num' }, int(a.executions)),
        el('td', { 'data-label': 'Success', class: 'num' }, pct(a.success_rate)),
        el('td', { 'data-label': 'p50 time', class: 'num' }, num(a.execution_time && a.execution_time.p50)),
        el('td', { 'data-label': 'p95 time', class: 'num' }, num(a.execution_time && a.execution_time.p95)),
        el('td', { 'data-label': 'Mean cost', class: 'num' }, usd(a.mean_cost_usd)),
        el('td', { 'data-label': 'Last seen', title: when(a.last_seen) }, ago(a.last_seen, now) || when(a.last_seen)),
      ),
    ),
  );
  $('board-empty').hidden = rows.length > 0;
  for (const th of $('leaderboard').querySelectorAll('th[data-key]')) {
    th.setAttribute('aria-sort', th.dataset.key === sortKey ? (sortDir < 0 ? 'descending' : 'ascending') : 'none');
  }
}

export function renderLeaderboard(entries) {
  rows = entries || [];
  draw();
}

export function setupLeaderboard() {
  $('sort-form').addEventListener('submit', (ev) => ev.preventDefault());
  $('sort-select').addEventListener('change', () => {
    const [key, dir] = $('sort-select').value.split(':');
    sortKey = key;
    sortDir = Number(dir);
    draw();
  });
  for (const th of $('leaderboard').querySelectorAll('th[data-key]')) {
    th.querySelector('button').addEventListener('click', () => {
      const key = th.dataset.key;
      if (key === sortKey) sortDir = -sortDir;
      else {
        sortKey = key;
        sortDir = key === 'agent_id' ? 1 : -1;
      }
      draw();
    });
  }
}

// Totals from /agents/performance, for a server without /analytics/dashboard.
export function totalsFromAgents(agents) {
  let anomalies = 0;
  let scored = 0;
  let executions = 0;
  let successes = 0;
  let cost = 0;
  let costKnown = false;
  for (const a of agents) {
    executions += a.executions;
    successes += a.successes;
    anomalies += a.anomalies || 0;
    scored += a.scored || 0;
    if (a.mean_cost_usd !== null && a.mean_cost_usd !== undefined) {
      cost += a.mean_cost_usd * a.executions;
      costKnown = true;
    }
  }
  return {
    executions,
    agents: agents.length,
    successes,
    success_rate: executions ? successes / executions : null,
    cost_usd: costKnown ? cost : null,
    anomalies,
    scored,
  };
}
