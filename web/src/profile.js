// An agent's strengths and weaknesses by task type and by context value.
import { el, $, fill } from './dom.js';
import { call } from './api.js';
import { pct, int, NA } from './format.js';

function rows(list, heading, labelOf) {
  return el(
    'table',
    { class: 'mini' },
    el('thead', null, el('tr', null, [heading, 'Runs', 'This agent', 'All agents'].map((h) => el('th', { scope: 'col' }, h)))),
    el(
      'tbody',
      null,
      list.map((s) =>
        el(
          'tr',
          null,
          el('th', { scope: 'row' }, labelOf(s)),
          el('td', { class: 'num' }, int(s.executions)),
          el('td', { class: 'num' }, pct(s.success_rate)),
          el('td', { class: 'num' }, pct(s.all_agents_success_rate)),
        ),
      ),
    ),
  );
}

let asked = 0;

export async function showProfile(agentId) {
  const node = $('profile');
  if (!agentId) {
    fill(node);
    return;
  }
  const mine = ++asked;
  fill(node, el('p', { class: 'muted' }, 'Loading…'));
  try {
    const answer = await call('/agent/' + encodeURIComponent(agentId) + '/recommendations');
    if (mine !== asked) return;
    const p = answer.profile || {};
    const strengths = (p.strengths || []).slice(0, 6);
    const weaknesses = (p.weaknesses || []).slice(0, 6);
    const parts = [
      el('p', null, `${int(p.executions)} runs, smoothed success rate ${pct(p.success_rate)}.`),
      el('div', { class: 'two' },
        el('div', null, el('h4', null, 'Stronger than the others on'), strengths.length ? rows(strengths, 'Task type', (s) => s.task_type) : el('p', { class: 'muted' }, 'No task type.')),
        el('div', null, el('h4', null, 'Weaker on'), weaknesses.length ? rows(weaknesses, 'Task type', (s) => s.task_type) : el('p', { class: 'muted' }, 'No task type.'))),
      el('h4', null, 'By context'),
    ];
    if (!p.by_context) parts.push(el('p', { class: 'muted' }, `By context: ${NA} (this server does not report it).`));
    else if (!p.by_context.length) parts.push(el('p', { class: 'muted' }, 'No context recorded.'));
    else parts.push(rows(p.by_context, 'Context', (c) => `${c.key} = ${c.value}`));
    fill(node, parts);
  } catch (e) {
    if (mine !== asked) return;
    fill(node, el('p', { class: 'error' }, e.explain ? e.explain() : String(e)));
  }
}
