// All experiments under the home directory, with status, best, times and links to running managers;
// filtered by text and sorted by any column (both kept in the address).

import { api } from '../api.js';
import { h, mount, fmtNumber, fmtTime, statusBadge, toast } from '../dom.js';

const total = (e) => (e.counts ? Object.values(e.counts).reduce((a, b) => a + b, 0) : null);
const COLUMNS = [
  { key: 'id', value: (e) => e.id },
  { key: 'name', value: (e) => e.name || '' },
  { key: 'status', value: (e) => e.status || '' },
  { key: 'best', value: (e) => (typeof e.best === 'number' ? e.best : null) },
  { key: 'trials', value: total },
  { key: 'failed', value: (e) => (e.counts ? e.failed ?? 0 : null) },
  { key: 'created', value: (e) => e.created_at || null },
  { key: 'ended', value: (e) => e.ended_at || null },
  { key: 'manager', value: (e) => (e.running ? 0 : 1) },
];

export async function render(root, { query }) {
  const [list, current] = await Promise.all([api('/experiments'), api('/experiment')]);
  const state = { filter: query.get('filter') || '', sort: query.get('sort') || 'created', order: query.get('order') || 'desc' };
  const filterInput = h('input', { type: 'search', class: 'filter', value: state.filter, 'aria-label': 'filter experiments', placeholder: 'filter by id, name or status', 'data-testid': 'experiments-filter' });
  const count = h('div', { class: 'muted' });
  const box = h('div', { class: 'table-box' });
  filterInput.addEventListener('input', () => { state.filter = filterInput.value.trim(); draw(); });
  mount(root, h('div', { class: 'page-head' }, h('h1', {}, 'Experiments'), count), h('div', { class: 'toolbar' }, filterInput), box);

  function writeUrl() {
    const params = new URLSearchParams();
    if (state.filter) params.set('filter', state.filter);
    if (state.sort !== 'created' || state.order !== 'desc') { params.set('sort', state.sort); params.set('order', state.order); }
    const text = params.toString();
    const hash = `#/experiments${text ? `?${text}` : ''}`;
    if (location.hash !== hash) history.replaceState(history.state, '', hash);
  }

  function rows() {
    const needle = state.filter.toLowerCase();
    const shown = list.filter((e) => !needle || [e.id, e.name, e.status].some((v) => String(v || '').toLowerCase().includes(needle)));
    const column = COLUMNS.find((c) => c.key === state.sort) || COLUMNS[6];
    const sign = state.order === 'asc' ? 1 : -1;
    // Missing values last either way, as in the trials table.
    return shown.sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      if (x === null || y === null) return (x === null) - (y === null);
      return x < y ? -sign : x > y ? sign : 0;
    });
  }

  function header(column) {
    const active = state.sort === column.key;
    return h('th', { class: 'sortable', 'data-col': column.key, 'aria-sort': active ? (state.order === 'asc' ? 'ascending' : 'descending') : null },
      h('button', { type: 'button', class: 'sort', onclick: () => {
        state.order = active && state.order === 'desc' ? 'asc' : active ? 'desc' : 'asc';
        state.sort = column.key;
        draw();
      } }, column.key + (active ? (state.order === 'asc' ? ' ▲' : ' ▼') : '')));
  }

  function draw() {
    writeUrl();
    const shown = rows();
    count.textContent = shown.length === list.length ? `${list.length} under this home directory` : `${shown.length} of ${list.length} under this home directory`;
    mount(box, h('table', { class: 'grid', 'data-testid': 'experiments-table' },
      h('thead', {}, h('tr', {}, COLUMNS.map(header))),
      h('tbody', {}, shown.map((e) => h('tr', { class: e.id === current.id ? 'selected' : '', 'data-experiment': e.id },
        h('td', {}, idCell(e)),
        h('td', {}, e.name || ''),
        h('td', {}, e.status ? statusBadge(e.status) : h('span', { class: 'error-box small' }, e.error || 'unreadable')),
        h('td', { class: 'num' }, fmtNumber(e.best, 6)),
        h('td', { class: 'num' }, e.counts ? total(e) : ''),
        h('td', { class: e.failed ? 'num failed' : 'num', 'data-testid': 'failed-count' }, e.counts ? String(e.failed ?? 0) : ''),
        h('td', {}, fmtTime(e.created_at)),
        h('td', {}, fmtTime(e.ended_at)),
        h('td', {}, managerCell(e)),
      )))));
  }

  // The id opens the experiment wherever it is (the first column stays in view on a phone).
  function idCell(e) {
    if (e.id === current.id) return h('a', { href: '#/' }, e.id);
    if (e.running && e.url && /^https?:\/\//.test(e.url)) return h('a', { href: e.url }, e.id);
    if (e.running || !e.status) return e.id;
    return h('button', { type: 'button', class: 'link', 'data-testid': 'open-experiment-id', 'data-action': '', title: `open read-only (tunelab view ${e.id})`, onclick: (event) => openStopped(e, event.currentTarget) }, e.id);
  }

  function managerCell(e) {
    if (e.running && e.url && /^https?:\/\//.test(e.url)) return h('a', { href: e.url }, 'open UI');
    if (e.running) return h('span', { class: 'muted' }, 'running');
    if (!e.status) return null;
    // One click: a read-only viewer of the stopped experiment (tunelab view) starts and the page goes there.
    return h('button', { type: 'button', class: 'link', 'data-testid': 'open-experiment', 'data-action': '', title: `tunelab view ${e.id}`, onclick: (event) => openStopped(e, event.currentTarget) }, 'open read-only');
  }

  async function openStopped(e, button) {
    const label = button.textContent;
    button.disabled = true;
    button.textContent = 'starting…';
    try {
      const opened = await api(`/experiments/${encodeURIComponent(e.id)}/view`, { method: 'POST' });
      if (!/^(https?:\/\/|\/)/.test(opened.url)) throw new Error(`unexpected viewer address ${opened.url}`);
      location.assign(opened.url);
    } catch (error) {
      toast(error.message, 'error');
      button.disabled = false;
      button.textContent = label;
    }
  }

  draw();
  return {};
}
