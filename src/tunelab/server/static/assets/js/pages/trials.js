// Trials: the server-side filtered, sorted and paged table with a column chooser, selection for compare,
// inline stderr of failed trials, kill, customized trials, and the chart tabs.

import { api } from '../api.js';
import { h, mount, fmtNumber, fmtDuration, fmtTime, fmtValue, flatten, markReady, statusBadge, toast, throttle } from '../dom.js';
import { historyChart, parallelChart, curvesChart, timelineChart, sliceChart, importanceChart, disposeAll } from '../charts.js';
import { trialLink, customTrialForm } from './common.js';

const PAGE_SIZES = [25, 50, 100, 200];
const BASE_COLUMNS = [
  { key: 'status', label: 'status', sort: 'status', on: true },
  { key: 'final', label: 'final', sort: 'final', on: true },
  { key: 'duration', label: 'duration', sort: 'duration', on: true },
  { key: 'intermediate_count', label: 'intermediates', sort: 'intermediate_count', on: true },
  { key: 'latest_intermediate', label: 'latest', sort: 'latest_intermediate', on: false },
  { key: 'started_at', label: 'start', sort: 'started_at', on: false },
  { key: 'ended_at', label: 'end', sort: 'ended_at', on: false },
  { key: 'source', label: 'source', on: false },
  { key: 'message', label: 'message', on: true },
];
const TABS = ['history', 'parallel', 'curves', 'durations', 'slice', 'importance'];
const STORAGE_KEY = 'tunelab.trials.columns';

export async function render(root, { query }) {
  const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
  const state = {
    filter: query.get('filter') || '',
    sort: query.get('sort') || 'sequence',
    order: query.get('order') || 'asc',
    offset: 0,
    limit: 50,
    total: 0,
    rows: [],
    selected: new Set(),
    expanded: new Set(),
    tab: query.get('tab') || 'history',
    columns: [],
    mode: 'maximize',
    readOnly: true,
  };
  // The experiment and the first page load together; the table's optional columns start from the search
  // space and the first page, and the full list (every dict-metric key) is merged in when it arrives.
  const firstPage = api('/trials', { params: { filter: state.filter, sort: state.sort, order: state.order, offset: 0, limit: state.limit } }).catch(() => null);
  const exp = await api('/experiment');
  state.mode = exp.optimize_mode;
  state.readOnly = exp.read_only;
  const first = await firstPage;
  state.columns = buildColumns(columnsOf(exp, first ? first.trials : []), saved);

  const filterInput = h('input', { type: 'search', value: state.filter, placeholder: 'filter: lr>0.01 status:FAILED optimizer=sgd  (Enter)', 'data-testid': 'trial-filter', class: 'filter' });
  const tableBox = h('div', { class: 'table-box' });
  const pager = h('div', { class: 'pager' });
  const chooser = h('details', { class: 'chooser' });
  const compareButton = h('button', { type: 'button', 'data-testid': 'compare-selected', onclick: () => {
    location.hash = `#/compare?trials=${[...state.selected].map(encodeURIComponent).join(',')}`;
  } }, 'Compare selected');
  const customBox = h('div', { class: 'custom-box', hidden: true });
  const chartTabs = h('div', { class: 'tabs' });
  const chartBox = h('div', { class: 'chart tall', 'data-testid': 'trials-chart' });
  const chartNote = h('div', { class: 'muted small' });

  filterInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { state.filter = filterInput.value.trim(); state.offset = 0; load(); }
  });

  mount(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Trials')),
    h('div', { class: 'toolbar' }, filterInput,
      h('button', { type: 'button', onclick: () => { state.filter = filterInput.value.trim(); state.offset = 0; load(); } }, 'Apply'),
      chooser, compareButton,
      h('button', { type: 'button', disabled: state.readOnly, 'data-testid': 'add-custom', onclick: () => { customBox.hidden = !customBox.hidden; } }, 'Add customized trial')),
    customBox,
    tableBox, pager,
    h('section', {}, h('h2', {}, 'Charts'), chartTabs, chartNote, chartBox),
  );
  mount(customBox, customTrialForm(exampleParameters(exp), { onDone: () => { customBox.hidden = true; refreshPage(); } }));

  function drawChooser() {
    mount(chooser, h('summary', {}, 'Columns'),
      h('div', { class: 'chooser-list' }, state.columns.map((col) => h('label', {},
        h('input', { type: 'checkbox', checked: col.on, onchange: (e) => {
          col.on = e.target.checked;
          localStorage.setItem(STORAGE_KEY, JSON.stringify(Object.fromEntries(state.columns.map((c) => [c.key, c.on]))));
          drawTable();
        } }), ` ${col.label}`))));
  }

  async function load() {
    try {
      const page = await api('/trials', { params: { filter: state.filter, sort: state.sort, order: state.order, offset: state.offset, limit: state.limit } });
      state.rows = page.trials;
      state.total = page.total;
      filterInput.classList.remove('invalid');
      drawTable();
    } catch (error) {
      filterInput.classList.add('invalid');
      toast(error.message, 'error');
    }
  }
  const refreshPage = throttle(load, 1000);

  function setSort(column) {
    if (state.sort === column.sort) state.order = state.order === 'asc' ? 'desc' : 'asc';
    else {
      state.sort = column.sort;
      // The metric's first click shows the best first, whichever way the experiment optimizes.
      state.order = column.sort === 'final' || column.sort.startsWith('metric.') ? (state.mode === 'maximize' ? 'desc' : 'asc') : 'asc';
    }
    state.offset = 0;
    load();
  }

  function headerCell(column) {
    const active = column.sort && state.sort === column.sort;
    const arrow = active ? (state.order === 'asc' ? ' ▲' : ' ▼') : '';
    return h('th', { class: column.sort ? 'sortable' : '', 'data-col': column.key, onclick: column.sort ? () => setSort(column) : null }, column.label + arrow);
  }

  function drawTable() {
    const visible = state.columns.filter((c) => c.on);
    const seqColumn = { key: 'sequence', label: '#', sort: 'sequence' };
    const idColumn = { key: 'id', label: 'trial', sort: 'id' };
    const table = h('table', { class: 'grid trials', 'data-testid': 'trials-table' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), headerCell(seqColumn), headerCell(idColumn), visible.map(headerCell), h('th', {}, ''))),
      h('tbody', {}, state.rows.map((t) => rowsOf(t, visible))));
    mount(tableBox, state.rows.length ? table : h('p', { class: 'muted' }, state.filter ? 'No trial matches this filter.' : 'No trial yet.'));
    const last = Math.min(state.total, state.offset + state.rows.length);
    mount(pager,
      h('button', { type: 'button', disabled: state.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - state.limit); load(); } }, '‹ Prev'),
      h('span', { 'data-testid': 'page-info' }, state.total ? `${state.offset + 1}–${last} of ${state.total}` : '0 trials'),
      h('button', { type: 'button', disabled: last >= state.total, onclick: () => { state.offset += state.limit; load(); } }, 'Next ›'),
      h('select', { onchange: (e) => { state.limit = Number(e.target.value); state.offset = 0; load(); } },
        PAGE_SIZES.map((n) => h('option', { value: n, selected: n === state.limit }, `${n} / page`))),
      h('span', { class: 'muted' }, `${state.selected.size} selected`));
    compareButton.disabled = state.selected.size < 2;
  }

  function rowsOf(t, visible) {
    const row = h('tr', { 'data-trial': t.id, class: state.selected.has(t.id) ? 'selected' : '' },
      h('td', {}, h('input', { type: 'checkbox', checked: state.selected.has(t.id), 'aria-label': `select ${t.id}`, onchange: (e) => {
        if (e.target.checked) state.selected.add(t.id); else state.selected.delete(t.id);
        drawTable();
      } })),
      h('td', { class: 'num' }, t.sequence),
      h('td', {}, trialLink(t)),
      visible.map((col) => h('td', { class: col.numeric ? 'num' : '', 'data-col': col.key }, cell(t, col))),
      h('td', { class: 'actions' }, actions(t)));
    if (!state.expanded.has(t.id)) return row;
    const logBox = h('pre', { class: 'log', 'data-testid': 'row-stderr' }, 'Loading…');
    api(`/trials/${encodeURIComponent(t.id)}/logs/stderr`, { params: { tail: 16384 } })
      .then((log) => { logBox.textContent = log.text || '(stderr is empty)'; })
      .catch((error) => { logBox.textContent = error.message; });
    return [row, h('tr', { class: 'expanded' }, h('td', { colspan: visible.length + 4 }, logBox))];
  }

  function actions(t) {
    const out = [];
    if (['FAILED', 'SYS_CANCELED', 'USER_CANCELED', 'EARLY_STOPPED'].includes(t.status) || t.message) {
      out.push(h('button', { type: 'button', class: 'link', 'data-testid': 'show-stderr', onclick: () => {
        if (state.expanded.has(t.id)) state.expanded.delete(t.id); else state.expanded.add(t.id);
        drawTable();
      } }, state.expanded.has(t.id) ? 'hide stderr' : 'stderr'));
    }
    if ((t.status === 'RUNNING' || t.status === 'WAITING') && !state.readOnly) {
      out.push(h('button', { type: 'button', class: 'link danger', 'data-testid': 'kill-trial', onclick: async () => {
        try { await api(`/trials/${encodeURIComponent(t.id)}/kill`, { method: 'POST' }); toast(`Trial ${t.id} killed.`); refreshPage(); } catch (error) { toast(error.message, 'error'); }
      } }, 'kill'));
    }
    return out;
  }

  // -- charts ------------------------------------------------------------------------------------------
  function drawTabs() {
    mount(chartTabs, TABS.map((tab) => h('button', { type: 'button', class: tab === state.tab ? 'tab active' : 'tab', 'data-tab': tab, onclick: () => { state.tab = tab; drawTabs(); drawChart(); } }, tab)));
  }

  async function drawChart() {
    disposeAll();
    chartNote.textContent = '';
    const tab = state.tab;
    try {
      if (tab === 'history') {
        const data = await api('/charts/history');
        note(data, 'points', data.points.sequence.length);
        await historyChart(chartBox, data, { onPick: openTrial });
      } else if (tab === 'parallel') {
        const data = await api('/charts/parallel');
        note(data, 'trials', data.rows.length);
        await parallelChart(chartBox, data, { onSelect: (ids) => {
          // Brushing narrows the lines; the brushed trials can become the selection (compare, curves).
          const take = ids.slice(0, 50);
          mount(chartNote, `${ids.length} of the drawn trials are in the brushed ranges. `,
            ids.length ? h('button', { type: 'button', class: 'link', 'data-testid': 'select-brushed', onclick: () => {
              state.selected = new Set(take);
              drawTable();
              toast(`${take.length} trials selected${ids.length > take.length ? ' (the first 50)' : ''}.`);
            } }, `select ${take.length === ids.length ? 'them' : 'the first 50'}`) : null);
        } });
      } else if (tab === 'curves') {
        const ids = [...state.selected];
        const data = await api('/charts/curves', { params: ids.length ? { trials: ids.join(',') } : { top: 20 } });
        chartNote.textContent = ids.length ? 'Curves of the selected trials.' : 'Curves of the 20 best finished trials and running ones (select rows to choose).';
        await curvesChart(chartBox, data.curves);
      } else if (tab === 'durations') {
        const data = await api('/charts/timeline');
        note(data, 'trials on the timeline', data.trial_id.length);
        if (data.total) await timelineChart(chartBox, data);
      } else if (tab === 'slice') {
        const data = await api('/charts/slice');
        note(data, 'points', data.parameters.length ? data.parameters[0].x.length : 0);
        drawSlice(data);
      } else if (tab === 'importance') {
        const data = await api('/charts/importance');
        chartNote.textContent = `Share of the final value's variance each parameter explains alone, over ${data.trials} trials.`;
        await importanceChart(chartBox, data);
      }
    } catch (error) { chartNote.textContent = error.message; }
  }

  function note(data, what, shown) {
    chartNote.textContent = data.sampled ? `Showing ${shown} of ${data.total} ${what} (downsampled; the best are always kept).` : `${data.total} ${what}.`;
  }

  function drawSlice(data) {
    if (!data.parameters.length) { mount(chartBox, h('p', { class: 'muted' }, 'No finished trial yet.')); return; }
    const select = h('select', { onchange: () => sliceChart(plotBox, data.parameters[select.selectedIndex], data.mode) },
      data.parameters.map((p) => h('option', {}, p.key)));
    const plotBox = h('div', { class: 'chart' });
    mount(chartBox, h('label', {}, 'parameter ', select), plotBox);
    sliceChart(plotBox, data.parameters[0], data.mode);
  }

  function openTrial(id) { location.hash = `#/trials/${encodeURIComponent(id)}`; }

  drawChooser();
  drawTabs();
  if (first) { state.rows = first.trials; state.total = first.total; drawTable(); } else await load();
  markReady('trials');
  api('/charts/columns').then((info) => {
    const known = new Set(state.columns.map((c) => c.key));
    const added = buildColumns(info, saved).filter((c) => !known.has(c.key) && (c.param || c.metric));
    if (!added.length) return;
    state.columns.push(...added);
    drawChooser();
    drawTable();
  }).catch(() => {});
  drawChart();
  const refreshCharts = throttle(() => { if (state.tab !== 'parallel') drawChart(); }, 5000);

  return {
    onChanges(batch) {
      let membership = false;
      for (const change of batch) {
        if (change.type === 'trial') {
          const index = state.rows.findIndex((r) => r.id === change.trial.id);
          if (index >= 0) {
            state.rows[index] = change.trial;
            patchRow(change.trial);
          } else membership = true;
        } else if (change.type === 'metrics') {
          for (const m of change.metrics) patchMetric(m);
        } else if (change.type === 'resync') membership = true;
      }
      if (membership) refreshPage();
      if (batch.some((c) => c.type === 'trial')) refreshCharts();
    },
  };

  // Patch only the changed cells of visible rows: no re-render of the table on every report.
  function patchRow(t) {
    const row = tableBox.querySelector(`tr[data-trial="${CSS.escape(t.id)}"]`);
    if (!row) return;
    for (const col of state.columns.filter((c) => c.on)) {
      const td = row.querySelector(`td[data-col="${CSS.escape(col.key)}"]`);
      if (td) mount(td, cell(t, col));
    }
    mount(row.querySelector('td.actions'), actions(t));
  }

  function patchMetric(m) {
    const t = state.rows.find((r) => r.id === m.trial_id);
    if (!t || m.kind !== 'PERIODICAL') return;
    t.intermediate_count = Math.max(t.intermediate_count, m.sequence + 1);
    t.latest_intermediate = m.value;
    const row = tableBox.querySelector(`tr[data-trial="${CSS.escape(t.id)}"]`);
    if (!row) return;
    for (const key of ['intermediate_count', 'latest_intermediate']) {
      const td = row.querySelector(`td[data-col="${key}"]`);
      const col = state.columns.find((c) => c.key === key);
      if (td && col) mount(td, cell(t, col));
    }
  }
}

function buildColumns(info, saved) {
  const columns = BASE_COLUMNS.map((c) => ({ ...c, numeric: ['final', 'duration', 'intermediate_count', 'latest_intermediate'].includes(c.key) }));
  for (const key of info.parameters) columns.push({ key: `params.${key}`, label: key, sort: `params.${key}`, on: true, param: key });
  for (const key of info.metrics) columns.push({ key: `metric.${key}`, label: `metric ${key}`, sort: `metric.${key}`, on: info.metrics.length <= 4, metric: key, numeric: true });
  if (saved) for (const c of columns) if (c.key in saved) c.on = saved[c.key];
  return columns;
}

function columnsOf(exp, trials) {
  const parameters = new Set(Object.keys(flatten(exp.best ? exp.best.parameters : {})));
  const metrics = new Set();
  for (const t of trials) {
    for (const key of Object.keys(flatten(t.parameters))) parameters.add(key);
    if (t.final_data && typeof t.final_data === 'object') for (const key of Object.keys(t.final_data)) metrics.add(key);
  }
  return { parameters: [...parameters], metrics: [...metrics] };
}

function cell(t, col) {
  if (col.param) return fmtValue(flatten(t.parameters)[col.param]);
  if (col.metric) return fmtValue(t.final_data && typeof t.final_data === 'object' ? t.final_data[col.metric] : undefined);
  switch (col.key) {
    case 'status': return statusBadge(t.status);
    case 'final': return fmtNumber(t.final, 6);
    case 'latest_intermediate': return fmtNumber(t.latest_intermediate);
    case 'duration': return fmtDuration(t.duration);
    case 'started_at': return fmtTime(t.started_at);
    case 'ended_at': return fmtTime(t.ended_at);
    case 'message': return h('span', { class: 'message', title: t.message || '' }, t.message || '');
    default: return fmtValue(t[col.key]);
  }
}

function exampleParameters(exp) {
  if (exp.best) return exp.best.parameters;
  const space = (exp.config && exp.config.searchSpace) || {};
  const out = {};
  for (const [key, spec] of Object.entries(space)) {
    const values = spec && spec._value;
    if (Array.isArray(values) && values.length) out[key] = typeof values[0] === 'object' && values[0] !== null ? values[0]._name ?? values[0] : values[0];
  }
  return out;
}
