// Trials: the server-side filtered, sorted and paged table with a column chooser, selection for compare,
// inline stderr of failed trials, kill, customized trials, and the chart tabs.

import { api } from '../api.js';
import { h, mount, columnFormatter, fmtDuration, fmtTime, fmtValue, flatten, markReady, statusBadge, toast, throttle } from '../dom.js';
import { historyChart, parallelChart, curvesChart, timelineChart, sliceChart, importanceChart, edfChart, contourChart, rankChart, disposeIn } from '../charts.js';
import { trialLink, customTrialForm, confirmKill, logKeysOf } from './common.js';
import { drawParetoTab, drawObjectiveHistory, objectiveLabel, objectiveSelect, optimised } from './pareto.js';

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
  { key: 'note', label: 'note', on: true },
];
const TABS = ['history', 'parallel', 'curves', 'durations', 'slice', 'contour', 'rank', 'importance', 'edf'];
const STORAGE_KEY = 'tunelab.trials.columns';
const STALE = Symbol('stale chart request');
const CURVE_CHOICES = [['auto', 'best 20 and running (or the selection)'], ['selected', 'the selected trials'],
  ...['SUCCEEDED', 'EARLY_STOPPED', 'FAILED', 'USER_CANCELED', 'RUNNING'].map((s) => [`status:${s}`, `status ${s}`])];

export async function render(root, { query }) {
  const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
  const state = {
    filter: query.get('filter') || '',
    chartFilter: query.get('filter') || '', // the filter the charts were drawn with
    sort: query.get('sort') || 'sequence',
    order: query.get('order') || 'asc',
    offset: 0,
    limit: 50,
    total: 0,
    rows: [],
    selected: new Set((query.get('selected') || '').split(',').filter(Boolean)),
    expanded: new Set(),
    tab: TABS.includes(query.get('tab')) ? query.get('tab') : 'history',
    logAxes: query.get('log') !== 'off',
    logY: false,
    curves: query.get('curves') || 'auto',
    rankX: query.get('rx') || '',
    rankY: query.get('ry') || '',
    paretoX: query.get('px') || '',
    paretoY: query.get('py') || '',
    historyObjective: query.get('objective') || '',
    objectives: null, // several optimised objectives: GET /experiment's pareto.objectives
    formats: {},
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
  // A multi-objective experiment adds the Pareto tab, objective columns and a history per objective.
  if (exp.pareto) {
    state.objectives = exp.pareto.objectives;
    if (query.get('tab') === 'pareto') state.tab = 'pareto';
  }
  const first = await firstPage;
  state.columns = buildColumns(columnsOf(exp, first ? first.trials : []), saved, state.objectives);
  state.logKeys = logKeysOf((exp.config && exp.config.searchSpace) || {});

  // The address records what the page shows (filter, sort, chart tab, selection), so Back, reload and a
  // shared link come back to the same view. replaceState: changing a sort is not a new history entry.
  function writeUrl() {
    const params = new URLSearchParams();
    if (state.filter) params.set('filter', state.filter);
    if (state.sort !== 'sequence' || state.order !== 'asc') { params.set('sort', state.sort); params.set('order', state.order); }
    if (state.tab !== 'history') params.set('tab', state.tab);
    if (!state.logAxes) params.set('log', 'off');
    if (state.curves !== 'auto') params.set('curves', state.curves);
    if (state.tab === 'rank' && state.rankX) { params.set('rx', state.rankX); params.set('ry', state.rankY); }
    if (state.tab === 'pareto' && state.paretoX) { params.set('px', state.paretoX); params.set('py', state.paretoY); }
    if (state.tab === 'history' && state.historyObjective) params.set('objective', state.historyObjective);
    if (state.selected.size) params.set('selected', [...state.selected].join(','));
    const text = params.toString();
    const hash = `#/trials${text ? `?${text}` : ''}`;
    if (location.hash !== hash) history.replaceState(history.state, '', hash);
  }

  const filterInput = h('input', { type: 'search', value: state.filter, placeholder: 'filter: lr>0.01 status:FAILED optimizer=sgd  (Enter)', 'data-testid': 'trial-filter', class: 'filter', 'aria-label': 'Filter trials',
    // The grammar is tunelab/storage/_filter.py's; this is its one-line help.
    title: 'lr>0.01  lr=0.001..0.01  optimizer=sgd,adam  status:FAILED,RUNNING  final>0.9  metric.loss<0.2  '
      + 'model._name=cnn  params.final>1 (a parameter named like a column)  `a.b`=1 (backquotes: a name holding dots '
      + 'or spaces)  free text matches id, status, message, note and values' });
  const tableBox = h('div', { class: 'table-box' });
  const pager = h('div', { class: 'pager' });
  const chooser = h('details', { class: 'chooser' });
  const compareButton = h('button', { type: 'button', 'data-testid': 'compare-selected', onclick: () => {
    location.hash = `#/compare?trials=${[...state.selected].map(encodeURIComponent).join(',')}`;
  } }, 'Compare selected');
  const customBox = h('div', { class: 'custom-box', hidden: true });
  const chartTabs = h('div', { class: 'tabs' });
  const chartBox = h('div', { class: 'chart tall', 'data-testid': 'trials-chart' });
  const chartOptions = h('div', { class: 'chart-options' });
  const chartNote = h('div', { class: 'muted small' });

  filterInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { state.filter = filterInput.value.trim(); state.offset = 0; load(); }
  });

  mount(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Trials')),
    h('div', { class: 'toolbar' }, filterInput,
      h('button', { type: 'button', onclick: () => { state.filter = filterInput.value.trim(); state.offset = 0; load(); } }, 'Apply'),
      chooser, compareButton,
      // Every trial in NNI's export shapes, served by /export (not only this page of the table).
      h('a', { class: 'button-link', href: '/api/v1/export?format=json', download: `${exp.id}-trials.json`, 'data-testid': 'download-json' }, 'Download JSON'),
      h('a', { class: 'button-link', href: '/api/v1/export?format=csv', download: `${exp.id}-trials.csv`, 'data-testid': 'download-csv' }, 'Download CSV'),
      h('button', { type: 'button', disabled: state.readOnly, 'data-testid': 'add-custom', onclick: () => { customBox.hidden = !customBox.hidden; } }, 'Add customized trial')),
    customBox,
    h('a', { class: 'skip-inline', href: '#charts', 'data-skip': 'charts' }, 'Skip past the table to the charts'),
    tableBox, pager,
    h('section', { id: 'charts', tabindex: '-1' }, h('h2', {}, 'Charts'), chartTabs, chartOptions, chartNote, chartBox),
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
      writeUrl();
      drawTable();
      // The charts follow the table's filter.
      if (state.filter !== state.chartFilter) { state.chartFilter = state.filter; drawChart(); }
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
      const mode = column.objective ? column.objective.mode : state.mode;
      state.order = column.sort === 'final' || column.sort.startsWith('metric.') ? (mode === 'minimize' ? 'asc' : 'desc') : 'asc';
    }
    state.offset = 0;
    load();
  }

  function headerCell(column) {
    const active = column.sort && state.sort === column.sort;
    const arrow = active ? (state.order === 'asc' ? ' ▲' : ' ▼') : '';
    if (!column.sort) return h('th', { 'data-col': column.key }, column.label);
    // A button inside the header: reachable by Tab, operated by Enter and Space like any button.
    return h('th', { class: 'sortable', 'data-col': column.key, 'aria-sort': active ? (state.order === 'asc' ? 'ascending' : 'descending') : null },
      h('button', { type: 'button', class: 'sort', onclick: () => setSort(column) }, column.label + arrow));
  }

  function drawTable() {
    const visible = state.columns.filter((c) => c.on);
    // One format per numeric column over the rows shown, so a column's decimals line up.
    state.formats = Object.fromEntries(visible.filter((c) => c.numeric || c.param).map((c) => [c.key, columnFormatter(state.rows.map((t) => rawValue(t, c)), c.key === 'final' || c.metric ? 5 : 4)]));
    const seqColumn = { key: 'sequence', label: '#', sort: 'sequence' };
    const idColumn = { key: 'id', label: 'trial', sort: 'id' };
    const table = h('table', { class: 'grid trials', 'data-testid': 'trials-table' },
      h('thead', {}, h('tr', {}, h('th', {}, h('span', { class: 'visually-hidden' }, 'select')), headerCell(seqColumn), headerCell(idColumn), h('th', {}, h('span', { class: 'visually-hidden' }, 'actions')), visible.map(headerCell))),
      h('tbody', {}, state.rows.map((t) => rowsOf(t, visible))));
    mount(tableBox, state.rows.length ? table : h('p', { class: 'muted' }, state.filter ? 'No trial matches this filter.' : 'No trial yet.'));
    const last = Math.min(state.total, state.offset + state.rows.length);
    mount(pager,
      h('button', { type: 'button', disabled: state.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - state.limit); load(); } }, '‹ Prev'),
      h('span', { 'data-testid': 'page-info' }, state.total ? `${state.offset + 1}–${last} of ${state.total}` : '0 trials'),
      h('button', { type: 'button', disabled: last >= state.total, onclick: () => { state.offset += state.limit; load(); } }, 'Next ›'),
      h('select', { 'aria-label': 'trials per page', onchange: (e) => { state.limit = Number(e.target.value); state.offset = 0; load(); } },
        PAGE_SIZES.map((n) => h('option', { value: n, selected: n === state.limit }, `${n} / page`))),
      h('span', { class: 'muted' }, `${state.selected.size} selected`));
    compareButton.disabled = state.selected.size < 2;
  }

  function rowsOf(t, visible) {
    const row = h('tr', { 'data-trial': t.id, class: state.selected.has(t.id) ? 'selected' : '' },
      h('td', {}, h('input', { type: 'checkbox', checked: state.selected.has(t.id), 'aria-label': `select ${t.id}`, onchange: (e) => {
        if (e.target.checked) state.selected.add(t.id); else state.selected.delete(t.id);
        writeUrl();
        drawTable();
      } })),
      h('td', { class: 'num' }, t.sequence),
      h('td', {}, trialLink(t)),
      // Actions sit next to the id, not past every column: on a phone the table scrolls sideways.
      h('td', { class: 'actions' }, actions(t)),
      visible.map((col) => h('td', { class: col.numeric ? 'num' : '', 'data-col': col.key }, cell(t, col, state.formats[col.key]))));
    if (!state.expanded.has(t.id)) return row;
    // The log keeps to the visible width of the table box and sticks to its left edge, so it opens in
    // view however far the table is scrolled sideways.
    const logBox = h('pre', { class: 'log row-log', 'data-testid': 'row-stderr', style: { width: `${Math.max(200, tableBox.clientWidth - 24)}px` } }, 'Loading…');
    api(`/trials/${encodeURIComponent(t.id)}/logs/stderr`, { params: { tail: 16384 } })
      .then((log) => { logBox.textContent = log.text || '(stderr is empty)'; })
      .catch((error) => { logBox.textContent = error.message; })
      .finally(() => { if (state.reveal === t.id) { state.reveal = null; logBox.scrollIntoView({ block: 'nearest' }); } });
    return [row, h('tr', { class: 'expanded' }, h('td', { colspan: visible.length + 4 }, logBox))];
  }

  function actions(t) {
    const out = [];
    if (['FAILED', 'SYS_CANCELED', 'USER_CANCELED', 'EARLY_STOPPED'].includes(t.status) || t.message) {
      out.push(h('button', { type: 'button', class: 'link', 'data-testid': 'show-stderr', onclick: () => {
        if (state.expanded.has(t.id)) state.expanded.delete(t.id); else { state.expanded.add(t.id); state.reveal = t.id; }
        drawTable();
      } }, state.expanded.has(t.id) ? 'hide stderr' : 'stderr'));
    }
    if ((t.status === 'RUNNING' || t.status === 'WAITING') && !state.readOnly) {
      out.push(h('button', { type: 'button', class: 'link danger', 'data-testid': 'kill-trial', 'data-action': '', onclick: async () => {
        if (!confirmKill(t.id)) return;
        try { await api(`/trials/${encodeURIComponent(t.id)}/kill`, { method: 'POST' }); toast(`Trial ${t.id} killed.`); refreshPage(); } catch (error) { toast(error.message, 'error'); }
      } }, 'kill'));
    }
    return out;
  }

  // -- charts ------------------------------------------------------------------------------------------
  function drawTabs() {
    mount(chartTabs, (state.objectives ? [...TABS, 'pareto'] : TABS).map((tab) => h('button', { type: 'button', class: tab === state.tab ? 'tab active' : 'tab', 'data-tab': tab, 'aria-pressed': String(tab === state.tab), onclick: () => { state.tab = tab; writeUrl(); drawTabs(); drawChart(); } }, tab)));
  }

  function drawChartOptions() {
    const needsLog = ['parallel', 'slice', 'contour', 'rank'].includes(state.tab);
    mount(chartOptions, needsLog ? h('label', {}, h('input', { type: 'checkbox', checked: state.logAxes, 'data-testid': 'log-axes', onchange: (e) => {
      state.logAxes = e.target.checked; writeUrl(); drawChart();
    } }), ' log axes for log-distributed parameters (loguniform, qloguniform, lognormal, qlognormal)') : null,
    state.tab === 'history' && state.objectives ? objectiveSelect(state.objectives, historyObjective().name, (name) => {
      state.historyObjective = name === optimised(state.objectives)[0].name ? '' : name; writeUrl(); drawChart();
    }) : null,
    state.tab === 'history' ? h('label', {}, h('input', { type: 'checkbox', checked: state.logY, 'data-testid': 'log-y', onchange: (e) => {
      state.logY = e.target.checked; drawChart();
    } }), ' log y') : null,
    state.tab === 'curves' ? h('label', {}, 'curves of ', h('select', { 'data-testid': 'curves-of', onchange: (e) => {
      state.curves = e.target.value; writeUrl(); drawChart();
    } }, CURVE_CHOICES.map(([value, label]) => h('option', { value, selected: value === state.curves }, label)))) : null);
  }

  // Axis kinds come from the search space's types, never guessed from the spread of the data.
  function withSpaceAxes(dims) {
    return dims.map((d) => ({ ...d, log: state.logAxes && state.logKeys.has(d.key) }));
  }

  // Each draw has a number; a request answered after a newer draw began (a quick tab switch) or after the
  // page was left is dropped instead of drawing over the newer one.
  let drawn = 0;
  let gone = false;
  async function chartData(mine, path, options) {
    const data = await (path ? api(path, options) : options);
    if (gone || mine !== drawn) throw STALE;
    return data;
  }
  const empty = (text) => mount(chartBox, h('p', { class: 'muted' }, text));

  async function drawChart() {
    if (gone) return;
    const mine = ++drawn;
    // Only this box's charts: a global dispose here took the next page's chart when it ran late.
    disposeIn(chartBox);
    chartNote.textContent = '';
    drawChartOptions();
    const tab = state.tab;
    try {
      // A multi-objective experiment's other objectives and its Pareto tab read GET /pareto (pareto.js).
      const load = (path, options) => chartData(mine, path, options);
      if (tab === 'history' && historyObjective() !== optimised(state.objectives || [])[0]) {
        await drawObjectiveHistory(chartBox, chartNote, historyObjective(), { onPick: openTrial, logY: state.logY, load });
      } else if (tab === 'pareto') {
        await drawParetoTab(chartBox, chartNote, state, { writeUrl, onPick: openTrial, load });
      } else if (tab === 'history') {
        const data = await chartData(mine, '/charts/history', { params: { filter: state.filter } });
        note(data, 'points', data.points.sequence.length);
        if (!data.points.sequence.length) { empty('No finished trial yet.'); return; }
        await historyChart(chartBox, data, { onPick: openTrial, logY: state.logY });
      } else if (tab === 'parallel') {
        const data = await chartData(mine, '/charts/parallel', { params: { filter: state.filter } });
        data.dimensions = withSpaceAxes(data.dimensions);
        note(data, 'trials', data.rows.length);
        if (!data.rows.length) { empty('No finished trial yet.'); return; }
        await parallelChart(chartBox, data, { onSelect: (ids) => {
          // Brushing narrows the lines; the brushed trials can become the selection (compare, curves).
          const take = ids.slice(0, 50);
          mount(chartNote, `${ids.length} of the drawn trials are in the brushed ranges. `,
            ids.length ? h('button', { type: 'button', class: 'link', 'data-testid': 'select-brushed', onclick: () => {
              state.selected = new Set(take);
              writeUrl();
              drawTable();
              toast(`${take.length} trials selected${ids.length > take.length ? ' (the first 50)' : ''}.`);
            } }, `select ${take.length === ids.length ? 'them' : 'the first 50'}`) : null);
        } });
      } else if (tab === 'curves') {
        const { ids, text } = await chartData(mine, null, curveTrials());
        if (ids && !ids.length) { chartNote.textContent = text; mount(chartBox, h('p', { class: 'muted' }, 'No trial to draw.')); return; }
        const data = await chartData(mine, '/charts/curves', { params: ids ? { trials: ids.join(',') } : { top: 20, filter: state.filter } });
        chartNote.textContent = text;
        if (!data.curves.some((c) => c.sequence.length)) { empty('No intermediate result to draw yet.'); return; }
        await curvesChart(chartBox, data.curves);
      } else if (tab === 'durations') {
        const data = await chartData(mine, '/charts/timeline', { params: { filter: state.filter } });
        note(data, 'trials on the timeline', data.trial_id.length);
        if (data.total) await timelineChart(chartBox, data);
        else empty('No trial has started yet.');
      } else if (tab === 'slice') {
        const data = await chartData(mine, '/charts/slice', { params: { filter: state.filter } });
        data.parameters = withSpaceAxes(data.parameters);
        note(data, 'points', data.parameters.length ? data.parameters[0].x.length : 0);
        drawSlice(data);
      } else if (tab === 'contour') {
        const data = await chartData(mine, '/charts/parallel', { params: { filter: state.filter } });
        data.dimensions = withSpaceAxes(data.dimensions);
        note(data, 'trials', data.rows.length);
        drawContour(data);
      } else if (tab === 'rank') {
        const data = await chartData(mine, '/charts/rank', { params: { filter: state.filter } });
        data.dimensions = withSpaceAxes(data.dimensions);
        note(data, 'trials', data.rows.length);
        drawRank(data);
      } else if (tab === 'edf') {
        const data = await chartData(mine, '/charts/history', { params: { max_points: 100000, filter: state.filter } });
        const values = data.points.value.filter((v) => typeof v === 'number' && Number.isFinite(v));
        chartNote.textContent = `Empirical distribution of the final value over ${values.length} finished trials: the share of trials at or below each value.`;
        if (values.length) await edfChart(chartBox, values, data.mode || state.mode);
        else mount(chartBox, h('p', { class: 'muted' }, 'No finished trial yet.'));
      } else if (tab === 'importance') {
        const data = await chartData(mine, '/charts/importance', { params: { filter: state.filter } });
        chartNote.textContent = `Share of the final value's variance each parameter explains alone, over ${data.trials} trials.`;
        if (!data.importance.length) { empty('Importance needs a few finished trials.'); return; }
        await importanceChart(chartBox, data);
      }
    } catch (error) {
      if (error === STALE) return;
      // Say it where the chart would be, so a failed tab never shows an empty box.
      chartNote.textContent = '';
      empty(`This chart could not be drawn: ${error.message}`);
    }
  }

  // Which trials' curves: the best and running ones (default), the selection, or those of one status, so
  // early-stopped trials can be seen beside good ones.
  async function curveTrials() {
    const choice = state.curves === 'auto' && state.selected.size ? 'selected' : state.curves;
    if (choice === 'selected') return { ids: [...state.selected].slice(0, 50), text: `Curves of the ${Math.min(50, state.selected.size)} selected trials.` };
    if (choice.startsWith('status:')) {
      const page = await api('/trials', { params: { filter: choice, sort: 'final', order: state.mode === 'maximize' ? 'desc' : 'asc', limit: 50 } });
      return { ids: page.trials.map((t) => t.id), text: `Curves of ${page.trials.length} of the ${page.total} trials with ${choice} (best first).` };
    }
    return { ids: null, text: 'Curves of the 20 best finished trials and running ones (select rows, or choose above).' };
  }

  function note(data, what, shown) {
    const scope = state.filter ? ` matching the filter “${state.filter}”` : '';
    chartNote.textContent = data.sampled ? `Showing ${shown} of ${data.total} ${what}${scope} (downsampled; the best are always kept).` : `${data.total} ${what}${scope}.`;
  }

  function drawSlice(data) {
    if (!data.parameters.length) { mount(chartBox, h('p', { class: 'muted' }, 'No finished trial yet.')); return; }
    const select = h('select', { onchange: () => sliceChart(plotBox, data.parameters[select.selectedIndex], data.mode) },
      data.parameters.map((p) => h('option', {}, p.key)));
    const plotBox = h('div', { class: 'chart' });
    mount(chartBox, h('label', {}, 'parameter ', select), plotBox);
    sliceChart(plotBox, data.parameters[0], data.mode);
  }

  function drawContour(data) {
    if (data.dimensions.length < 2 || !data.rows.length) { mount(chartBox, h('p', { class: 'muted' }, 'A contour needs two parameters and a finished trial.')); return; }
    const choose = (label, chosen, testid) => h('label', {}, `${label} `, h('select', { 'data-testid': testid, onchange: redraw },
      data.dimensions.map((d, i) => h('option', { value: i, selected: i === chosen }, d.key))));
    const x = choose('x', 0, 'contour-x');
    const y = choose('y', 1, 'contour-y');
    const plotBox = h('div', { class: 'chart' });
    function redraw() { contourChart(plotBox, data, Number(x.querySelector('select').value), Number(y.querySelector('select').value)); }
    mount(chartBox, h('div', { class: 'row' }, x, y, h('span', { class: 'muted small' }, 'each cell: the mean final value of its trials')), plotBox);
    redraw();
  }

  // x and y are parameters, or y is the final value ("final"); the choice is kept in the address.
  function drawRank(data) {
    if (!data.dimensions.length || !data.rows.length) { mount(chartBox, h('p', { class: 'muted' }, 'A rank plot needs a finished trial with parameters.')); return; }
    const keys = data.dimensions.map((d) => d.key);
    const xKey = keys.includes(state.rankX) ? state.rankX : keys[0];
    const yKey = state.rankY === 'final' || keys.includes(state.rankY) ? state.rankY : (keys.length > 1 ? keys[1] : 'final');
    const x = h('select', { 'data-testid': 'rank-x', onchange: redraw }, keys.map((k) => h('option', { value: k, selected: k === xKey }, k)));
    const y = h('select', { 'data-testid': 'rank-y', onchange: redraw },
      [...keys.map((k) => h('option', { value: k, selected: k === yKey }, k)), h('option', { value: 'final', selected: yKey === 'final' }, 'final value')]);
    const plotBox = h('div', { class: 'chart' });
    function redraw() {
      state.rankX = x.value;
      state.rankY = y.value;
      writeUrl();
      rankChart(plotBox, data, keys.indexOf(x.value), y.value === 'final' ? -1 : keys.indexOf(y.value));
    }
    mount(chartBox, h('div', { class: 'row' }, h('label', {}, 'x ', x), h('label', {}, 'y ', y),
      h('span', { class: 'muted small' }, `colour: rank of the final value among ${data.total} trials (1 is the best)`)), plotBox);
    redraw();
  }

  // The objective the history tab draws: the primary (the server's /charts/history, as for one objective)
  // unless the address or the selector chose another. Undefined for a single-objective experiment.
  function historyObjective() {
    const objectives = optimised(state.objectives || []);
    return objectives.find((o) => o.name === state.historyObjective) || objectives[0];
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
    dispose() {
      gone = true;
      refreshCharts.cancel();
      refreshPage.cancel();
    },
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
      if (td) mount(td, cell(t, col, state.formats[col.key]));
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
      if (td && col) mount(td, cell(t, col, state.formats[key]));
    }
  }
}

function buildColumns(info, saved, objectives = null) {
  const columns = BASE_COLUMNS.map((c) => ({ ...c, numeric: ['final', 'duration', 'intermediate_count', 'latest_intermediate'].includes(c.key) }));
  // Several objectives: one column per declared key right after "final" (the primary's value), shown
  // by default and sorted best first by its own direction.
  const declared = (objectives || []).map((o) => ({ key: `metric.${o.name}`, label: objectiveLabel(o), sort: `metric.${o.name}`, on: true,
    metric: o.name, numeric: true, objective: o }));
  columns.splice(columns.findIndex((c) => c.key === 'final') + 1, 0, ...declared);
  const taken = new Set(declared.map((c) => c.metric));
  for (const key of info.parameters) columns.push({ key: `params.${key}`, label: key, sort: `params.${key}`, on: true, param: key });
  // NNI's dict metrics carry the final value under "default": that column would repeat "final".
  for (const key of info.metrics.filter((k) => k !== 'default' && !taken.has(k))) columns.push({ key: `metric.${key}`, label: `metric ${key}`, sort: `metric.${key}`, on: info.metrics.length <= 4, metric: key, numeric: true });
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

function rawValue(t, col) {
  if (col.param) return flatten(t.parameters)[col.param];
  if (col.metric) return t.final_data && typeof t.final_data === 'object' ? t.final_data[col.metric] : undefined;
  return t[col.key];
}

/** A running trial has no duration yet: show how long it has run so far. */
function durationOf(t) {
  if (t.duration !== null && t.duration !== undefined) return fmtDuration(t.duration);
  if (t.status === 'RUNNING' && t.started_at) return `${fmtDuration(Date.now() / 1000 - t.started_at)} so far`;
  return '—';
}

function cell(t, col, format) {
  const show = format || fmtValue;
  if (col.param) return show(flatten(t.parameters)[col.param]);
  if (col.metric) return show(rawValue(t, col));
  switch (col.key) {
    case 'status': return statusBadge(t.status);
    case 'final': return show(t.final);
    case 'latest_intermediate': return show(t.latest_intermediate);
    case 'duration': return durationOf(t);
    case 'started_at': return fmtTime(t.started_at);
    case 'ended_at': return fmtTime(t.ended_at);
    case 'message': return h('span', { class: 'message', title: t.message || '' }, t.message || '');
    case 'note': return h('span', { class: 'note', title: t.note || '' }, t.note || '');
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
