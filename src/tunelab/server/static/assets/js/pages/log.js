// The manager log (<experiment>/log/manager.log): what the manager did, newest at the bottom.

import { api } from '../api.js';
import { h, mount } from '../dom.js';

const TAIL = 256 * 1024;

export async function render(root) {
  const box = h('pre', { class: 'log', 'data-testid': 'manager-log' });
  const note = h('p', { class: 'muted' });
  async function load() {
    const chunk = await api('/logs/manager', { params: { tail: TAIL } });
    box.textContent = chunk.text || 'The manager log is empty (the manager that ran this experiment wrote none).';
    note.textContent = chunk.size > TAIL ? `The last ${TAIL / 1024} KiB of ${chunk.path}.` : chunk.path;
    box.scrollTop = box.scrollHeight;
  }
  mount(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Manager log'),
      h('div', { class: 'toolbar' }, h('button', { type: 'button', 'data-testid': 'reload-log', onclick: load }, 'Reload'))),
    note, box);
  await load();
  return {};
}
