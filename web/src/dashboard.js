// The dashboard page: loads the data in parallel, draws what the leaderboard needs first,
// marks <body data-ready> once the leaderboard and every chart have drawn, and refreshes.
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { el, $, fill, setStatus } from './dom.js';
import { call, query, token, setToken, whenUnauthorized, ApiError } from './api.js';
import { renderTotals, renderLeaderboard, setupLeaderboard, totalsFromAgents } from './leaderboard.js';
import { drawSeries, clearSeries, watchResize } from './charts.js';
import { renderRouting, renderModelSets, renderTraining, renderImportance } from './models.js';
import { renderAnomalies } from './anomalies.js';
import { renderMode, setAdmin, setupModeForm } from './learning.js';
import { setupPreview } from './preview.js';
import { showProfile } from './profile.js';

const REFRESH_MS = 30000;
const state = {
  admin: false,
  agents: [],            // every agent in range, for the agent pickers
  analytics: true,       // false once the server answered 404 to /analytics/dashboard
  generation: 0,         // a newer load makes an older one's answers stale
  timer: null,
  profileShown: null,
};

function rangeParams() {
  const range = $('range').value;
  // All time is everything since the Unix epoch; the series is then narrowed to the stored
  // runs' span (seriesSpan).
  const p = { since: '0' };
  if (range !== 'all') {
    const until = new Date();
    p.until = until.toISOString().slice(0, 19) + 'Z';
    p.since = new Date(until.getTime() - Number(range) * 86400000).toISOString().slice(0, 19) + 'Z';
  }
  const type = $('task-type').value;
  if (type) p.task_type = type;
  return p;
}

function rangeText() {
  const r = $('range');
  const t = $('task-type').value;
  return `(${r.options[r.selectedIndex].text.toLowerCase()}${t ? ', ' + t : ''})`;
}

function showBanner(text) {
  const b = $('banner');
  b.textContent = text || '';
  b.hidden = !text;
}

function fillAgentPickers(agents) {
  const ids = agents.map((a) => a.agent_id).sort();
  if (ids.join('\n') === state.agents.join('\n')) return;
  state.agents = ids;
  for (const [id, first] of [['series-agent', 'No agent (all agents only)'], ['profile-agent', null]]) {
    const sel = $(id);
    const keep = sel.value;
    fill(sel, first !== null ? el('option', { value: '' }, first) : null, ids.map((a) => el('option', { value: a }, a)));
    if (ids.includes(keep)) sel.value = keep;
  }
}

function fillTaskTypes(types) {
  const sel = $('task-type');
  const keep = sel.value;
  const names = types.map((t) => t.task_type);
  fill(sel, el('option', { value: '' }, 'All task types'), types.map((t) => el('option', { value: t.task_type }, `${t.task_type} (${t.executions})`)));
  if (keep && !names.includes(keep)) sel.appendChild(el('option', { value: keep }, keep));
  sel.value = keep;
  fill($('task-type-list'), names.map((n) => el('option', { value: n })));
}

// The leaderboard, totals, series, task types and anomalies: one request when the server has
// /analytics/dashboard, else /agents/performance and /anomalies.
async function loadBoard(gen) {
  const params = rangeParams();
  const seriesAgent = $('series-agent').value;
  if (state.analytics) {
    try {
      const d = await call('/analytics/dashboard' + query({ ...params, series_agent: seriesAgent, buckets: 48 }));
      if (gen !== state.generation) return;
      renderTotals(d.totals, rangeText(), false);
      renderLeaderboard(d.leaderboard);
      if (!params.task_type) fillAgentPickers(d.leaderboard);
      fillTaskTypes(d.task_types || []);
      renderAnomalies(d.recent_anomalies);
      $('series-note').hidden = true;
      document.querySelector('.charts').hidden = false;
      let series = d.series;
      const span = $('range').value === 'all' ? seriesSpan(series) : null;
      if (span && span.refine) {
        // All time from the epoch gives the widest buckets: ask again for the runs' own span.
        const fine = await call('/analytics/dashboard' + query({ since: span.since, until: span.until, task_type: params.task_type, series_agent: seriesAgent, buckets: 48 }));
        if (gen !== state.generation) return;
        series = fine.series;
      } else if (span) {
        series = span.trimmed;
      }
      const b = series && series.bucket_seconds;
      $('series-bucket').textContent = b ? 'One point per ' + bucketText(b) + (d.percentiles === 'sketch' ? '; percentiles from sketches' : '') : '';
      await drawSeries(series);
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      state.analytics = false;
    }
  }
  const [perf, anomalies] = await Promise.all([
    call('/agents/performance' + query(params)),
    call('/anomalies' + query({ limit: 20 })).catch((e) => (e.status === 401 ? Promise.reject(e) : null)),
  ]);
  if (gen !== state.generation) return;
  const list = anomalies ? anomalies.anomalies : null;
  renderTotals(totalsFromAgents(perf.agents), rangeText(), true);
  renderLeaderboard(perf.agents);
  if (!params.task_type) fillAgentPickers(perf.agents);
  renderAnomalies(list || []);
  clearSeries();
  const note = $('series-note');
  note.textContent = 'Series over time: not available (this server has no /analytics/dashboard).';
  note.hidden = false;
  document.querySelector('.charts').hidden = true;
}

// The part of an all-time series that holds runs: refine when it spans few buckets (ask for
// that span with finer ones), else the series without its empty lead and tail.
function seriesSpan(series) {
  if (!series || !series.points || !series.points.length) return null;
  const pts = series.points;
  let first = -1;
  let last = -1;
  pts.forEach((p, i) => {
    if (p.executions > 0) {
      if (first < 0) first = i;
      last = i;
    }
  });
  if (first < 0) return null;
  const step = series.bucket_seconds * 1000;
  const since = new Date(pts[first].start).getTime();
  const until = Math.min(Date.now(), new Date(pts[last].start).getTime() + step);
  if (last - first + 1 < 24) {
    return { refine: true, since: new Date(since).toISOString().slice(0, 19) + 'Z', until: new Date(until).toISOString().slice(0, 19) + 'Z' };
  }
  const keep = (list) => list.filter((p) => {
    const t = new Date(p.start).getTime();
    return t >= since && t < until;
  });
  return { refine: false, trimmed: { ...series, points: keep(pts), agent: series.agent ? { ...series.agent, points: keep(series.agent.points || []) } : null } };
}

function bucketText(s) {
  if (s % 604800 === 0) return s === 604800 ? 'week' : s / 604800 + ' weeks';
  if (s % 86400 === 0) return s === 86400 ? 'day' : s / 86400 + ' days';
  if (s % 3600 === 0) return s === 3600 ? 'hour' : s / 3600 + ' hours';
  return s + ' s';
}

async function loadStatus(gen) {
  const status = await call('/models/status');
  if (gen !== state.generation) return;
  renderRouting(status);
  renderModelSets(status, { admin: state.admin, onRollback: rollback });
  renderTraining(status);
  renderImportance(status);
}

async function loadMode(gen) {
  const mode = await call('/learning/mode');
  if (gen !== state.generation) return;
  renderMode(mode, state.admin);
}

async function loadAdmin() {
  try {
    await call('/dashboard/admin-check', { quiet401: true });
    state.admin = true;
  } catch (e) {
    state.admin = false;
    if (!(e instanceof ApiError) || (e.status !== 403 && e.status !== 401)) throw e;
  }
  setAdmin(state.admin);
  for (const b of document.querySelectorAll('button[data-version]')) {
    b.disabled = !state.admin;
    b.title = state.admin ? '' : 'Needs an admin token';
  }
}

async function rollback(version, button) {
  const status = $('rollback-status');
  button.disabled = true;
  setStatus(status, `Rolling back to ${version}…`, '');
  try {
    const r = await call('/models/rollback', { method: 'POST', body: { version } });
    setStatus(status, `Model set ${r.active_model_set} is active.`, 'ok');
    await loadStatus(state.generation);
  } catch (e) {
    setStatus(status, e.explain ? e.explain() : String(e), 'error');
    button.disabled = !state.admin;
  }
}

function describe(e) {
  return e && e.explain ? e.explain() : String(e);
}

// One load of everything; `ready` marks the page once the board and charts have drawn.
async function loadAll({ user } = {}) {
  const gen = ++state.generation;
  if (user) document.body.removeAttribute('data-ready');
  $('updated').textContent = 'Loading…';
  const board = loadBoard(gen);
  // Settled at once, so a panel failing while the board still loads is never unhandled.
  const rest = Promise.allSettled([loadAdmin().then(() => loadStatus(gen)), loadMode(gen)]);
  const errors = [];
  try {
    await board;
    if (gen === state.generation) {
      const first = !document.body.hasAttribute('data-ready') && !performance.getEntriesByName('data-ready').length;
      document.body.setAttribute('data-ready', 'true');
      document.body.setAttribute('aria-busy', 'false');
      // Navigation start to this mark is the page's load time (bench/load/dashboard_load.sh).
      if (first) performance.mark('data-ready');
    }
  } catch (e) {
    errors.push(e);
  }
  for (const r of await rest) if (r.status === 'rejected') errors.push(r.reason);
  if (gen !== state.generation) return;
  const shown = errors.filter((e) => !(e instanceof ApiError && e.status === 401));
  showBanner(shown.length ? 'Some panels could not load: ' + [...new Set(shown.map(describe))].join('; ') : '');
  if (!errors.length) {
    $('updated').textContent = 'Updated ' + new Date().toISOString().slice(11, 19) + ' UTC · refreshes every 30 s';
    const agent = $('profile-agent').value;
    if (agent && agent !== state.profileShown) {
      state.profileShown = agent;
      showProfile(agent);
    }
  } else {
    $('updated').textContent = 'Not up to date';
  }
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(async () => {
    if (!document.hidden && !$('token-dialog').open) await loadAll();
    schedule();
  }, REFRESH_MS);
}

function askToken(reason) {
  const d = $('token-dialog');
  $('token-error').textContent = reason || '';
  // Asked again while open (several requests refused at once): keep what is being typed.
  if (!d.open) {
    $('token-input').value = '';
    d.showModal();
  }
}

function setupToken() {
  whenUnauthorized(() => askToken(token() ? 'The server refused this token (401). Check it and try again.' : ''));
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = $('token-input').value.trim();
    if (!v) return;
    setToken(v);
    $('token-dialog').close();
    state.profileShown = null;
    loadAll({ user: true });
  });
  $('token-forget').addEventListener('click', () => {
    setToken('');
    $('token-error').textContent = 'Forgotten. Type a token to continue.';
  });
  $('token-button').addEventListener('click', () => askToken(''));
}

function main() {
  window.agentlearnStarted = true;
  document.body.setAttribute('aria-busy', 'true');
  setupToken();
  setupLeaderboard();
  setupModeForm((mode) => renderMode(mode, state.admin));
  setupPreview();
  watchResize();
  $('filters').addEventListener('change', () => loadAll({ user: true }));
  $('filters').addEventListener('submit', (ev) => ev.preventDefault());
  $('series-agent').addEventListener('change', () => loadAll({ user: true }));
  $('profile-agent').addEventListener('change', () => {
    state.profileShown = $('profile-agent').value;
    showProfile(state.profileShown);
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) loadAll();
  });
  loadAll({ user: true });
  schedule();
}

main();
