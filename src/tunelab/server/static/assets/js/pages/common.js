// Bits shared by the pages: links to trials, compact parameter text, the customized-trial form.

import { api } from '../api.js';
import { h, flatten, fmtValue, toast } from '../dom.js';

export function trialLink(trial) {
  return h('a', { href: `#/trials/${encodeURIComponent(trial.id)}`, class: 'trial-link' }, trial.id);
}

export function paramsSummary(params) {
  const flat = flatten(params);
  return Object.entries(flat).map(([k, v]) => `${k}=${fmtValue(v)}`).join('  ');
}

/** A form to queue a customized trial; `initial` pre-fills the parameters (clone). */
export function customTrialForm(initial, { onDone } = {}) {
  const text = h('textarea', { rows: 6, spellcheck: 'false', 'data-testid': 'custom-params' }, JSON.stringify(initial || {}, null, 2));
  const message = h('div', { class: 'muted' });
  async function submit(event) {
    event.preventDefault();
    let parameters;
    try { parameters = JSON.parse(text.value); } catch (error) { toast(`parameters: not valid JSON (${error.message})`, 'error'); return; }
    try {
      const result = await api('/trials', { method: 'POST', body: { parameters } });
      const outside = result.warnings.length ? ` Outside the search space: ${result.warnings.join('; ')}` : '';
      message.textContent = `Queued ${result.trial.id}.${outside}`;
      // The warning must survive the form closing, so the toast carries it too (and stays longer).
      toast(`Customized trial ${result.trial.id} queued.${outside}`, outside ? 'warn' : 'info');
      if (onDone) onDone(result.trial);
    } catch (error) { toast(error.message, 'error'); }
  }
  return h('form', { class: 'custom-trial', onsubmit: submit },
    h('label', {}, 'Parameters (JSON)', text),
    h('div', { class: 'row' }, h('button', { type: 'submit', 'data-testid': 'custom-submit' }, 'Run customized trial'), message));
}

/** Ask before killing: a kill cannot be undone. */
export function confirmKill(id) {
  return window.confirm(`Kill trial ${id}? It stops now and cannot be resumed.`);
}

const LOG_TYPES = new Set(['loguniform', 'qloguniform', 'lognormal', 'qlognormal']);

/** The dotted parameter keys (as flatten() names them) whose search-space type is log-distributed;
 * nested choices contribute `choice.key` for every option that has the key. */
export function logKeysOf(space, prefix = '', out = new Set()) {
  for (const [key, spec] of Object.entries(space || {})) {
    if (!spec || typeof spec !== 'object') continue;
    if (LOG_TYPES.has(spec._type)) out.add(`${prefix}${key}`);
    if (spec._type === 'choice' && Array.isArray(spec._value)) {
      for (const option of spec._value) {
        if (option && typeof option === 'object' && !Array.isArray(option)) {
          const { _name, ...inner } = option;
          logKeysOf(inner, `${prefix}${key}.`, out);
        }
      }
    }
  }
  return out;
}
