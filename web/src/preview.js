// A task typed in: the recommendation the service would make (a preview, not logged), its
// reasoning, and similar past tasks.
import { el, $, fill } from './dom.js';
import { call, query } from './api.js';
import { pct, num, usd, fixed } from './format.js';

function candidatesTable(cands) {
  return el(
    'table',
    { class: 'mini' },
    el('caption', { class: 'visually-hidden' }, 'Candidates in ranked order'),
    el('thead', null, el('tr', null, ['Agent', 'P(success)', 'Predicted time', 'Predicted cost'].map((h) => el('th', { scope: 'col' }, h)))),
    el(
      'tbody',
      null,
      cands.map((c) =>
        el(
          'tr',
          null,
          el('th', { scope: 'row', class: 'agent' }, c.agent_id),
          el('td', { class: 'num' }, pct(c.success_probability)),
          el('td', { class: 'num' }, num(c.predicted_execution_time)),
          el('td', { class: 'num' }, usd(c.predicted_cost)),
        ),
      ),
    ),
  );
}

function similarList(answer) {
  const results = answer.results || [];
  if (!results.length) return el('p', { class: 'muted' }, 'No past task is similar enough.');
  return el(
    'ol',
    { class: 'similar' },
    results.map((r) => {
      const solved = (r.executions || []).filter((e) => e.success).map((e) => e.agent_id);
      return el(
        'li',
        null,
        el('p', null, el('span', { class: 'mono' }, r.task_id), ' ', el('span', { class: 'muted' }, `similarity ${fixed(r.similarity, 2)}`)),
        el('p', { class: 'clip' }, r.task_description || ''),
        el('p', { class: 'small' }, `${solved.length} of ${r.executions ? r.executions.length : 0} listed runs solved it`, solved.length ? ': ' + solved.slice(0, 5).join(', ') + (solved.length > 5 ? ', …' : '') : ''),
      );
    }),
  );
}

export function setupPreview() {
  $('preview-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = $('preview-text').value.trim();
    const type = $('preview-type').value.trim();
    const out = $('preview-result');
    if (!text) return;
    fill(out, el('p', { class: 'muted' }, 'Asking…'));
    const body = { task_description: text, preview: true, top_k: 3 };
    if (type) body.task_type = type;
    const [rec, sim] = await Promise.allSettled([
      call('/task/recommend', { method: 'POST', body }),
      call('/tasks/similar' + query({ q: text, k: 5 })),
    ]);
    const parts = [];
    if (rec.status === 'fulfilled') {
      const r = rec.value;
      parts.push(
        el(
          'div',
          { class: 'recommendation', 'data-testid': 'recommendation' },
          el('p', { class: 'big' }, 'Give it to ', el('strong', { class: 'agent' }, r.primary_agent), ` (${pct(r.confidence)} estimated success)`),
          r.alternative_agents && r.alternative_agents.length ? el('p', null, 'Next: ', r.alternative_agents.join(', ')) : null,
          el('p', { class: 'reasoning' }, r.reasoning),
          el(
            'p',
            { class: 'muted small' },
            `Mode ${r.mode}`,
            r.model_version ? ` · model set ${r.model_version}` : ' · no model set',
            r.task_category ? ` · looks like ${r.task_category.label} (${pct(r.task_category.probability, 0)})` : '',
            r.preview === true ? ' · preview, not logged' : ' · this server does not support previews: it logged this as a recommendation',
          ),
          r.candidates && r.candidates.length ? candidatesTable(r.candidates.slice(0, 6)) : null,
        ),
      );
    } else {
      parts.push(el('p', { class: 'error' }, 'No recommendation: ', rec.reason.explain ? rec.reason.explain() : String(rec.reason)));
    }
    parts.push(el('h3', null, 'Similar past tasks'));
    if (sim.status === 'fulfilled') parts.push(similarList(sim.value));
    else if (sim.reason.status === 503) parts.push(el('p', { class: 'muted' }, 'Not available yet: the similar-task index is being built.'));
    else if (sim.reason.status === 409) parts.push(el('p', { class: 'muted' }, 'Not available: no model set with task embeddings is active yet.'));
    else parts.push(el('p', { class: 'error' }, sim.reason.explain ? sim.reason.explain() : String(sim.reason)));
    fill(out, parts);
  });
}
