// What /models/status says: routing quality of the active set, the online estimate, every
// stored set (active marked, rejected with the reason, rollback for admins), training state
// and the features each model relies on most.
import { el, $, fill, pairs } from './dom.js';
import { pct, int, fixed, when, usd, NA } from './format.js';

function bar(label, rate, note, kind) {
  const meter = el('span', { class: 'bar-fill' + (kind ? ' ' + kind : '') });
  meter.style.width = rate === null || rate === undefined ? '0%' : Math.max(0, Math.min(1, rate)) * 100 + '%';
  return el(
    'div',
    { class: 'bar-row' },
    el('span', { class: 'bar-label' }, label, note ? el('span', { class: 'muted small' }, ' (', note, ')') : null),
    el('span', { class: 'bar-track', 'aria-hidden': 'true' }, meter),
    el('span', { class: 'bar-value' }, rate === null || rate === undefined ? NA : pct(rate)),
  );
}

export function renderRouting(status) {
  const sets = status.model_sets || [];
  const active = sets.find((s) => s.status === 'active');
  const node = $('routing');
  if (!active) {
    fill(node, el('p', { class: 'muted' }, 'No model set is active yet: the rules route every task.'));
  } else if (!active.routing) {
    fill(node, el('p', { class: 'muted' }, `Held-out routing quality: ${NA} for model set ${active.version} (this server does not report it).`));
  } else {
    const r = active.routing;
    const cost = (k) => (r.mean_cost_usd && r.mean_cost_usd[k] !== null && r.mean_cost_usd[k] !== undefined ? usd(r.mean_cost_usd[k]) + ' a task' : null);
    const note = (...parts) => parts.filter(Boolean).join(', ') || null;
    // A set that chose its policy lists every policy on the same held-out tasks, with routed
    // minus it and that difference's paired standard error; an older set, its three figures.
    const policyBars = Array.isArray(r.policies)
      ? r.policies.map((p) =>
          bar(
            p.policy === 'best_single' ? 'Best single agent' : `Policy ${p.policy}`,
            p.success,
            note(
              p.policy === 'best_single' ? r.best_single_agent : null,
              p.mean_cost_usd !== null && p.mean_cost_usd !== undefined ? usd(p.mean_cost_usd) + ' a task' : null,
              p.policy === r.served_policy
                ? 'served'
                : `routed ${r.routed - p.success >= 0 ? '+' : '\u2212'}${fixed(Math.abs(r.routed - p.success) * 100, 1)} pts, paired SE ${fixed(p.difference_se * 100, 1)}`,
            ),
          ),
        )
      : [
          bar('Best single agent', r.best_single, note(r.best_single_agent, cost('best_single'))),
          bar('Rules', r.rules, note(cost('rules'))),
        ];
    const served = r.served_policy ? `the ${r.served_policy} policy` : 'the models';
    const selection = status.routing_policy && status.routing_policy.model_set === active.version ? status.routing_policy.selection : null;
    const chosen = selection && selection.folds
      ? ` The set serves ${served}: it did best on its ${int(selection.tasks)} training tasks out-of-fold (${selection.folds} folds).`
      : '';
    fill(
      node,
      el('p', { class: 'muted' }, `Model set ${active.version}, ${int(r.tasks)} held-out tasks.${chosen}`),
      el(
        'div',
        { class: 'bars' },
        bar(`Routed by ${served}`, r.routed, note(cost('routed')), 'main'),
        ...policyBars,
        bar('Oracle', r.oracle, note('best agent per task', cost('oracle')), 'ceiling'),
        r.random !== undefined ? bar('Random agent', r.random, note(cost('random'))) : null,
      ),
    );
  }
  const o = status.online;
  if (o === undefined) {
    pairs($('online'), [['Online estimate', NA + ' (this server does not report it)']]);
  } else if (o === null) {
    pairs($('online'), [['Online estimate', NA + ' (no model set is active)']]);
  } else {
    pairs($('online'), [
      ['Recommendations logged', int(o.logged)],
      ['Followed', o.followed === null || o.followed === undefined ? NA : `${int(o.followed)} (${o.follow_rate === null ? NA : pct(o.follow_rate)})`],
      ['Success rate of the logged runs', o.logged_success_rate === null || o.logged_success_rate === undefined ? NA : pct(o.logged_success_rate)],
      ['Success rate, IPS estimate', o.ips_success_rate === null || o.ips_success_rate === undefined ? NA : pct(o.ips_success_rate)],
      ['Success rate, self-normalised', o.snips_success_rate === null || o.snips_success_rate === undefined ? NA : pct(o.snips_success_rate)],
      ['Model set', o.model_set || NA],
    ]);
  }
}

// The agent_selector's held-out figures for every set: the active model's and its earlier versions'.
function selectorMetrics(status) {
  const bySet = new Map();
  const sel = (status.models || []).find((m) => m.name === 'agent_selector');
  if (sel) {
    if (sel.model_set && sel.metrics) bySet.set(sel.model_set, sel.metrics);
    for (const e of sel.earlier_versions || []) if (e.metrics) bySet.set(e.model_set, e.metrics);
  }
  return bySet;
}

export function renderModelSets(status, { admin, onRollback }) {
  const node = $('model-sets');
  const sets = status.model_sets || [];
  if (!sets.length) {
    fill(node, el('p', { class: 'muted' }, 'No model set has been trained yet.'));
    return;
  }
  const metrics = selectorMetrics(status);
  const list = el('ul', { class: 'sets' });
  for (const s of sets) {
    const m = metrics.get(s.version);
    const figures = [];
    if (m) figures.push(`AUC ${fixed(m.roc_auc, 3)}`, `log loss ${fixed(m.log_loss, 4)}`);
    if (s.routing && s.routing.routed !== null && s.routing.routed !== undefined) figures.push(`routed ${pct(s.routing.routed)}`);
    figures.push(`${int(s.training_executions)} training / ${int(s.holdout_executions)} held-out runs`);
    let action = null;
    if (s.status === 'accepted') {
      const b = el('button', { type: 'button', class: 'small', 'data-version': s.version }, 'Roll back to this set');
      b.disabled = !admin;
      if (!admin) b.title = 'Needs an admin token';
      b.addEventListener('click', () => onRollback(s.version, b));
      action = b;
    }
    const reason = s.status === 'rejected' ? s.reason || (s.promotion && s.promotion.reason) : s.promotion && s.promotion.reason;
    list.appendChild(
      el(
        'li',
        { class: 'set ' + s.status },
        el(
          'div',
          { class: 'set-head' },
          el('span', { class: 'version' }, s.version),
          el('span', { class: 'badge ' + s.status }, s.status === 'active' ? 'active' : s.status),
          el('span', { class: 'muted' }, when(s.created_at)),
        ),
        el('p', { class: 'figures' }, figures.join(' · ')),
        reason ? el('p', { class: s.status === 'rejected' ? 'reason rejected' : 'reason' }, (s.status === 'rejected' ? 'Rejected: ' : '') + reason) : null,
        action,
      ),
    );
  }
  fill(node, list);
}

export function renderTraining(status) {
  const t = status.training || {};
  const rows = [
    ['Active model set', status.active_model_set || 'none yet'],
    ['Training', t.enabled === false ? 'off on this server' : t.running ? 'running' + (t.current_job ? ` (${t.current_job.job_id})` : '') : 'idle'],
    ['New executions since the active set', t.new_samples_since_last_training === undefined ? '–' : `${int(t.new_samples_since_last_training)} of ${int(t.retrain_threshold)} to retrain`],
  ];
  if (t.last_run) {
    rows.push(['Last run', `${t.last_run.status}${t.last_run.version ? ' → ' + t.last_run.version : ''}${t.last_run.finished_at ? ', ' + when(t.last_run.finished_at) : ''}`]);
    if (t.last_run.reason) rows.push(['Why', t.last_run.reason]);
  }
  pairs($('training'), rows);
}

export function renderImportance(status) {
  const node = $('importance');
  const models = (status.models || []).filter((m) => m.name === 'agent_selector' || m.name === 'performance_predictor');
  if (!models.length || models.every((m) => !m.active_version)) {
    fill(node, el('p', { class: 'muted' }, 'No model set is active yet.'));
    return;
  }
  const entries = [];
  for (const m of models) {
    entries.push({ name: m.name + (m.name === 'performance_predictor' && m.feature_importance_cost !== undefined ? ' (time)' : ''), feature_importance: m.feature_importance });
    if (m.feature_importance_cost !== undefined) entries.push({ name: m.name + ' (cost)', feature_importance: m.feature_importance_cost });
  }
  fill(
    node,
    entries.map((m) => {
      const fi = m.feature_importance;
      let body;
      if (fi === undefined) body = el('p', { class: 'muted' }, `Feature importance: ${NA} (this server does not report it).`);
      else if (fi === null || !fi.length) body = el('p', { class: 'muted' }, `Feature importance: ${NA} (no model).`);
      else {
        const top = fi[0].gain || 1;
        body = el(
          'div',
          { class: 'bars' },
          fi.map((f) => {
            const fillNode = el('span', { class: 'bar-fill main' });
            fillNode.style.width = Math.max(0, Math.min(1, f.gain / top)) * 100 + '%';
            return el(
              'div',
              { class: 'bar-row' },
              el('span', { class: 'bar-label mono' }, f.feature),
              el('span', { class: 'bar-track', 'aria-hidden': 'true' }, fillNode),
              el('span', { class: 'bar-value' }, fixed(f.gain, 2)),
            );
          }),
        );
      }
      return el('div', { class: 'model-fi' }, el('h4', null, m.name), body);
    }),
  );
}
