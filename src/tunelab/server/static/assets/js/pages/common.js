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
      message.textContent = result.warnings.length ? `Queued ${result.trial.id}, outside the space: ${result.warnings.join('; ')}` : `Queued ${result.trial.id}.`;
      toast(`Customized trial ${result.trial.id} queued.`);
      if (onDone) onDone(result.trial);
    } catch (error) { toast(error.message, 'error'); }
  }
  return h('form', { class: 'custom-trial', onsubmit: submit },
    h('label', {}, 'Parameters (JSON)', text),
    h('div', { class: 'row' }, h('button', { type: 'submit', 'data-testid': 'custom-submit' }, 'Run customized trial'), message));
}
