// All experiments under the home directory, with status, best, times and links to running managers.

import { api } from '../api.js';
import { h, mount, fmtNumber, fmtTime, statusBadge } from '../dom.js';

export async function render(root) {
  const [list, current] = await Promise.all([api('/experiments'), api('/experiment')]);
  mount(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Experiments'), h('div', { class: 'muted' }, `${list.length} under this home directory`)),
    h('div', { class: 'table-box' }, h('table', { class: 'grid', 'data-testid': 'experiments-table' },
      h('thead', {}, h('tr', {}, ['id', 'name', 'status', 'best', 'trials', 'failed', 'created', 'ended', 'manager'].map((c) => h('th', {}, c)))),
      h('tbody', {}, list.map((e) => h('tr', { class: e.id === current.id ? 'selected' : '' },
        h('td', {}, e.id === current.id ? h('a', { href: '#/' }, e.id) : e.id),
        h('td', {}, e.name || ''),
        h('td', {}, e.status ? statusBadge(e.status) : h('span', { class: 'error-box small' }, e.error || 'unreadable')),
        h('td', { class: 'num' }, fmtNumber(e.best, 6)),
        h('td', { class: 'num' }, e.counts ? Object.values(e.counts).reduce((a, b) => a + b, 0) : ''),
        h('td', { class: e.failed ? 'num failed' : 'num', 'data-testid': 'failed-count' }, e.counts ? String(e.failed ?? 0) : ''),
        h('td', {}, fmtTime(e.created_at)),
        h('td', {}, fmtTime(e.ended_at)),
        h('td', {}, e.running && e.url && /^https?:\/\//.test(e.url) ? h('a', { href: e.url }, 'open UI') : h('span', { class: 'muted' }, e.running ? 'running' : `tunelab view ${e.id}`)),
      ))))));
  return {};
}
