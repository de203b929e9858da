// The learning mode and exploration rate, changeable with an admin token.
import { el, $, fill, pairs, setStatus } from './dom.js';
import { call } from './api.js';

let current = null;

export function renderMode(mode, admin) {
  current = mode;
  pairs($('mode-now'), [
    ['Mode in force', mode.mode],
    ['Set by', mode.configured_mode ? 'an admin (' + mode.configured_mode + ')' : 'default (online once a model set is active, rules before)'],
    ['Exploration rate', String(mode.exploration_rate)],
  ]);
  const select = $('mode-select');
  const focused = document.activeElement;
  if (focused !== select) {
    fill(select, (mode.modes || []).map((m) => el('option', { value: m, selected: m === mode.mode }, m)));
    select.value = mode.mode;
  }
  if (focused !== $('rate-input')) $('rate-input').value = String(mode.exploration_rate);
  setAdmin(admin);
}

export function setAdmin(admin) {
  for (const id of ['mode-select', 'rate-input', 'mode-save']) $(id).disabled = !admin;
  document.body.classList.toggle('read-only', !admin);
}

export function setupModeForm(onChanged) {
  $('mode-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const status = $('mode-status');
    const body = {};
    const mode = $('mode-select').value;
    const rate = Number($('rate-input').value);
    if (!current || mode !== current.mode) body.mode = mode;
    if (!current || rate !== current.exploration_rate) body.exploration_rate = rate;
    if (!Object.keys(body).length) {
      setStatus(status, 'Nothing changed.', '');
      return;
    }
    setStatus(status, 'Saving…', '');
    try {
      const answer = await call('/learning/mode', { method: 'POST', body });
      setStatus(status, `Saved: mode ${answer.mode}, exploration rate ${answer.exploration_rate}.`, 'ok');
      onChanged(answer);
    } catch (e) {
      setStatus(status, e.explain ? e.explain() : String(e), 'error');
    }
  });
}
