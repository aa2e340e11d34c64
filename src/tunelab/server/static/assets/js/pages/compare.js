// Compare 2+ trials: parameters and metrics side by side (differences highlighted), curves overlaid.

import { api } from '../api.js';
import { h, mount, fmtValue, statusBadge } from '../dom.js';
import { curvesChart } from '../charts.js';
import { trialLink } from './common.js';

export async function render(root, { query }) {
  const ids = (query.get('trials') || '').split(',').filter(Boolean);
  const input = h('input', { type: 'text', value: ids.join(','), placeholder: 'trial ids, comma-separated', class: 'filter' });
  const go = () => { location.hash = `#/compare?trials=${input.value.split(',').map((s) => encodeURIComponent(s.trim())).filter(Boolean).join(',')}`; };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
  const head = [h('div', { class: 'page-head' }, h('h1', {}, 'Compare trials')),
    h('div', { class: 'toolbar' }, input, h('button', { type: 'button', onclick: go }, 'Compare'))];
  if (ids.length < 2) {
    mount(root, head, h('p', { class: 'muted' }, 'Select two or more trials in the Trials table and press “Compare selected”, or type their ids.'));
    return {};
  }
  const data = await api('/compare', { params: { trials: ids.join(',') } });
  const chartBox = h('div', { class: 'chart', 'data-testid': 'compare-chart' });
  mount(root, head,
    h('div', { class: 'table-box' }, h('table', { class: 'grid compare', 'data-testid': 'compare-table' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), data.trials.map((t) => h('th', {}, trialLink(t), ' ', statusBadge(t.status))))),
      h('tbody', {}, data.rows.map((row) => h('tr', { class: row.differs ? 'differs' : '' },
        h('th', {}, row.kind === 'metric' ? `metric ${row.key}` : row.key),
        row.values.map((v) => h('td', {}, fmtValue(v)))))))),
    h('section', {}, h('h2', {}, 'Intermediate results'), chartBox));
  await curvesChart(chartBox, data.curves);
  return {};
}
