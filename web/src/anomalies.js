// The recent anomalies: which execution, when, and why it was flagged.
import { el, $, fill } from './dom.js';
import { num, usd, when, fixed } from './format.js';

function fallbackWhy(a) {
  const parts = [];
  if (a.execution_time !== null && a.execution_time !== undefined) parts.push(`execution_time ${num(a.execution_time)}`);
  if (a.cost_usd !== null && a.cost_usd !== undefined) parts.push(`cost ${usd(a.cost_usd)}`);
  parts.push(a.success ? 'succeeded' : 'failed');
  return parts.join(', ') + ' (the server gives no explanation)';
}

export function renderAnomalies(list) {
  const node = $('anomalies');
  const items = (list || []).slice(0, 20);
  $('anomalies-empty').hidden = items.length > 0;
  fill(
    node,
    items.map((a) =>
      el(
        'li',
        null,
        el(
          'div',
          { class: 'anomaly-head' },
          el('span', { class: 'agent' }, a.agent_id),
          el('span', { class: 'muted' }, when(a.timestamp)),
          el('span', { class: 'badge rejected' }, 'score ' + fixed(a.anomaly_score, 2)),
        ),
        el(
          'p',
          { class: 'mono small' },
          'execution ',
          a.execution_id || '#' + a.id,
          a.task_id ? ' · task ' + a.task_id : '',
          a.task_type ? ' · ' + a.task_type : '',
        ),
        el('p', null, a.why ? 'Why: ' + a.why : 'Why: ' + fallbackWhy(a)),
      ),
    ),
  );
}
