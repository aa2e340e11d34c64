// Multi-objective experiments (issue 12): the overview's Pareto-front card, the trials page's Pareto
// chart tab and the per-objective history. Only pages of experiments with two or more optimised
// objectives (GET /experiment's `pareto` is not null) call into this module, so single-objective pages
// look and behave as before.

import { api } from '../api.js';
import { h, mount, columnFormatter, escapeHtml, fmtNumber } from '../dom.js';
import { chartOn, historyChart } from '../charts.js';
import { trialLink } from './common.js';

const FRONT_ROWS = 20; // the card lists this many; the chart tab shows the whole front

/** The optimised objectives ({name, mode}) of GET /experiment's or GET /pareto's `objectives`. */
export function optimised(objectives) {
  return (objectives || []).filter((o) => o.mode);
}

/** "accuracy ↑" / "params ↓": which way is better, for column heads and selectors. */
export function objectiveLabel(objective) {
  if (!objective.mode) return `${objective.name} ${objective.constraint || ''}`.trim();
  return `${objective.name} ${objective.mode === 'maximize' ? '↑' : '↓'}`;
}

/** The overview card: how many trials are on the front, and each one's objective values. */
export function paretoCard(pareto) {
  const objectives = optimised(pareto.objectives);
  const constrained = pareto.objectives.some((o) => o.constraint);
  const rows = pareto.front.slice(0, FRONT_ROWS);
  const formats = Object.fromEntries(objectives.map((o) => [o.name, columnFormatter(rows.map((p) => p.values[o.name]), 5)]));
  const noneFeasible = pareto.front.length > 0 && pareto.front.every((p) => !p.feasible);
  return h('div', { class: 'card pareto', 'data-testid': 'pareto-card' },
    h('div', { class: 'card-title' }, `Pareto front (${objectives.map(objectiveLabel).join(', ')})`),
    h('div', { class: 'big', 'data-testid': 'pareto-count' }, String(pareto.front.length)),
    h('div', { class: 'muted small' },
      `trials no other trial beats on every objective, of ${pareto.eligible} with a result`,
      pareto.infeasible ? ` (${pareto.infeasible} break a constraint)` : '', ' · ',
      h('a', { href: '#/trials?tab=pareto' }, 'Pareto chart')),
    noneFeasible ? h('div', { class: 'warn-box' }, 'No trial meets the constraints yet: these come closest.') : null,
    rows.length ? h('div', { class: 'table-box' }, h('table', { class: 'grid', 'data-testid': 'pareto-front' },
      h('thead', {}, h('tr', {}, h('th', {}, 'trial'), objectives.map((o) => h('th', { class: 'num' }, objectiveLabel(o))),
        constrained ? h('th', {}, 'feasible') : null)),
      h('tbody', {}, rows.map((p) => h('tr', { 'data-trial': p.trial_id },
        h('td', {}, trialLink({ id: p.trial_id }), h('span', { class: 'muted' }, ` #${p.sequence_id}`)),
        objectives.map((o) => h('td', { class: 'num' }, formats[o.name](p.values[o.name]))),
        constrained ? h('td', { 'data-testid': 'feasible' }, p.feasible ? '✓ yes' : '✗ no') : null))))) : null,
    pareto.front.length > rows.length ? h('div', { class: 'muted small' }, `and ${pareto.front.length - rows.length} more on the chart`) : null,
  );
}

// -- the Pareto chart ---------------------------------------------------------------------------------

/** Of `points` ([x, y, ...]), those no other beats on both axes (the 2-D front of the drawn pair). */
function frontOf(points, xMode, yMode) {
  const sx = xMode === 'maximize' ? -1 : 1;
  const sy = yMode === 'maximize' ? -1 : 1;
  return points.filter((p) => !points.some((q) => q !== p && sx * q[0] <= sx * p[0] && sy * q[1] <= sy * p[1]
    && (sx * q[0] < sx * p[0] || sy * q[1] < sy * p[1])));
}

function axisName(objective, horizontal) {
  const better = objective.mode === 'maximize' ? (horizontal ? '→' : '↑') : (horizontal ? '←' : '↓');
  return `${objective.name} (${better} better)`;
}

/** Two objectives against each other: the front highlighted and joined by its staircase, dominated
 * trials dimmed, infeasible ones hollow. `data` is the GET /pareto?points=true answer. */
export async function paretoChart(el, data, xName, yName, { onPick } = {}) {
  const chart = await chartOn(el);
  const objectives = optimised(data.objectives);
  const xo = objectives.find((o) => o.name === xName);
  const yo = objectives.find((o) => o.name === yName);
  const at = (p) => [p.values[xName], p.values[yName], p.trial_id, p.sequence_id];
  const front = data.points.filter((p) => p.on_front).map(at);
  const dominated = data.points.filter((p) => !p.on_front && p.feasible).map(at);
  const infeasible = data.points.filter((p) => !p.on_front && !p.feasible).map(at);
  // With three or more objectives a front trial can be beaten on this pair alone: the line joins the
  // pair's own front; it runs in x order, flat first where x is minimised (the region it bounds).
  const line = frontOf(front, xo.mode, yo.mode).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const byId = new Map(data.points.map((p) => [p.trial_id, p]));
  const tooltip = (p) => {
    const point = byId.get(p.data[2]);
    if (!point) return '';
    const rows = [['trial', `${point.trial_id} (#${point.sequence_id})`], ...objectives.map((o) => [o.name, fmtNumber(point.values[o.name])]),
      ['', point.on_front ? 'on the Pareto front' : (point.feasible ? 'dominated' : 'breaks a constraint')]];
    return rows.map(([k, v]) => (k ? `${escapeHtml(k)}: <b>${escapeHtml(v)}</b>` : escapeHtml(v))).join('<br>');
  };
  const narrow = el.clientWidth < 600;
  chart.setOption({
    animation: false, backgroundColor: 'transparent', textStyle: { fontFamily: 'system-ui, sans-serif' },
    legend: { top: 4, data: ['Pareto front', 'dominated', 'infeasible'], itemGap: narrow ? 6 : 12, textStyle: { fontSize: narrow ? 11 : 12 } },
    tooltip: { trigger: 'item', formatter: tooltip },
    grid: { left: narrow ? 56 : 72, right: narrow ? 16 : 32, top: 44, bottom: 52 },
    xAxis: { type: 'value', scale: true, name: axisName(xo, true), nameLocation: 'middle', nameGap: 30, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', scale: true, name: axisName(yo, false), nameLocation: 'middle', nameGap: narrow ? 40 : 52, axisLabel: { hideOverlap: true } },
    series: [
      { name: 'Pareto front line', type: 'line', step: xo.mode === 'minimize' ? 'end' : 'start', data: line, showSymbol: false, silent: true,
        z: 2, lineStyle: { color: '#e8590c', width: 2 }, itemStyle: { color: '#e8590c' }, tooltip: { show: false } },
      { name: 'dominated', type: 'scatter', data: dominated, symbolSize: 7, z: 3, itemStyle: { color: '#868e96', opacity: 0.45 } },
      { name: 'infeasible', type: 'scatter', data: infeasible, symbol: 'emptyCircle', symbolSize: 8, z: 3,
        itemStyle: { color: '#e03131', borderColor: '#e03131', borderWidth: 1.5, opacity: 0.8 } },
      { name: 'Pareto front', type: 'scatter', data: front, symbolSize: 11, z: 4, itemStyle: { color: '#e8590c', borderColor: '#fff', borderWidth: 1 } },
    ],
  }, true);
  chart.off('click');
  if (onPick) chart.on('click', (p) => p.data && p.data[2] && onPick(p.data[2]));
  return chart;
}

/** The trials page's Pareto tab: x and y selectors over the optimised objectives (default the first
 * two), the choice kept in `state.paretoX`/`state.paretoY` and written to the address by `writeUrl`.
 * `load` fetches (the page's, which drops an answer that arrives after the user moved on). */
export async function drawParetoTab(box, note, state, { writeUrl, onPick, load = api }) {
  const data = await load('/pareto', { params: { points: true } });
  const names = optimised(data.objectives).map((o) => o.name);
  if (!data.points.length) { mount(box, h('p', { class: 'muted' }, 'No trial has reported every objective yet.')); return; }
  const xName = names.includes(state.paretoX) ? state.paretoX : names[0];
  let yName = names.includes(state.paretoY) ? state.paretoY : names[1];
  if (yName === xName) yName = names.find((n) => n !== xName);
  const choose = (testid, chosen) => h('select', { 'data-testid': testid, onchange: redraw },
    optimised(data.objectives).map((o) => h('option', { value: o.name, selected: o.name === chosen }, objectiveLabel(o))));
  const x = choose('pareto-x', xName);
  const y = choose('pareto-y', yName);
  const plotBox = h('div', { class: 'chart', 'data-testid': 'pareto-chart' });
  const onFront = data.points.filter((p) => p.on_front).length;
  note.textContent = `${onFront} of ${data.eligible} trials with every objective are on the Pareto front`
    + `${data.infeasible ? `; ${data.infeasible} break a constraint (hollow)` : ''}. The table's filter does not apply here. Click a point to open its trial.`;
  function redraw() {
    state.paretoX = x.value;
    state.paretoY = y.value;
    writeUrl();
    paretoChart(plotBox, data, x.value, y.value, { onPick });
  }
  mount(box, h('div', { class: 'row' }, h('label', {}, 'x ', x), h('label', {}, 'y ', y)), plotBox);
  redraw();
}

// -- history per objective ----------------------------------------------------------------------------

/** The history chart's data (the /charts/history shape) for one objective, from GET /pareto's points:
 * each trial's value, and the best so far among the trials that meet the constraints. */
export function objectiveHistory(data, objective) {
  const better = objective.mode === 'maximize' ? (a, b) => a > b : (a, b) => a < b;
  const points = [...data.points].sort((a, b) => a.sequence_id - b.sequence_id);
  const constrained = (data.objectives || []).some((o) => o.constraint);
  const out = { total: points.length, sampled: false, constrained, points: { sequence: [], value: [], trial_id: [] }, best: { sequence: [], value: [], trial_id: [] } };
  let best = null;
  for (const p of points) {
    const value = p.values[objective.name];
    out.points.sequence.push(p.sequence_id);
    out.points.value.push(value);
    out.points.trial_id.push(p.trial_id);
    if (p.feasible && (best === null || better(value, best.value))) best = { value, trial_id: p.trial_id };
    if (best) {
      out.best.sequence.push(p.sequence_id);
      out.best.value.push(best.value);
      out.best.trial_id.push(best.trial_id);
    }
  }
  return out;
}

/** The objective selector of the history tab; `onChange(name)` redraws. The primary comes first. */
export function objectiveSelect(objectives, chosen, onChange) {
  return h('label', {}, 'objective ', h('select', { 'data-testid': 'history-objective', onchange: (e) => onChange(e.target.value) },
    optimised(objectives).map((o) => h('option', { value: o.name, selected: o.name === chosen }, objectiveLabel(o)))));
}

/** Draw one non-primary objective's history into `el` (the primary keeps the server's /charts/history). */
export async function drawObjectiveHistory(el, note, objective, { onPick, logY, load = api }) {
  const data = await load('/pareto', { params: { points: true } });
  const history = objectiveHistory(data, objective);
  note.textContent = `${history.total} trials with every objective; best so far (${objective.mode}) among those that meet the constraints. The table's filter does not apply here.`;
  if (!history.total) { mount(el, h('p', { class: 'muted' }, 'No trial has reported every objective yet.')); return; }
  await historyChart(el, history, { onPick, logY, yName: objective.name });
}
