// Chart rendering on the vendored ECharts, loaded on first use so that the overview paints without it.
// The data always comes from the server's /charts routes (tunelab.analysis), already downsampled:
// these functions only map it onto chart options. Tooltips are HTML strings, so every value is escaped.

import { escapeHtml, fmtNumber, fmtValue } from './dom.js';
import { currentTheme } from './theme.js';

let loading = null;
const live = new Set();

export function loadECharts() {
  if (!loading) loading = import('/assets/vendor/echarts.esm.min.js');
  return loading;
}

/** An ECharts instance on `el`, disposed by disposeAll() when the page changes. */
export async function chartOn(el) {
  const echarts = await loadECharts();
  const existing = echarts.getInstanceByDom(el);
  if (existing) return existing;
  // ECharts takes its colours at init: a theme change re-renders the page, which makes new charts.
  const chart = echarts.init(el, currentTheme() === 'dark' ? 'dark' : null, { renderer: 'canvas' });
  live.add(chart);
  return chart;
}

export function disposeAll() {
  for (const chart of live) chart.dispose();
  live.clear();
}

/** Dispose the charts drawn inside `el` only: a page redrawing its own chart must not take another
 * page's (or another box's) with it. */
export function disposeIn(el) {
  for (const chart of [...live]) {
    const dom = chart.getDom();
    if (!dom || el === dom || el.contains(dom) || !dom.isConnected) { chart.dispose(); live.delete(chart); }
  }
}

window.addEventListener('resize', () => { for (const chart of live) chart.resize(); });

const BASE = { animation: false, backgroundColor: 'transparent', textStyle: { fontFamily: 'system-ui, sans-serif' } };
const STATUS_COLORS = { SUCCEEDED: '#2f9e44', FAILED: '#e03131', RUNNING: '#1c7ed6', EARLY_STOPPED: '#f08c00', USER_CANCELED: '#868e96', SYS_CANCELED: '#5c5f66' };
const GRID = { left: 64, right: 24, top: 36, bottom: 48 };

function tip(rows) {
  return rows.map(([k, v]) => `${escapeHtml(k)}: <b>${escapeHtml(v)}</b>`).join('<br>');
}

/** Each trial's value by trial number, with the best-so-far step line; `yName` names the value (a
 * multi-objective experiment draws one objective at a time; by default the final value). */
export async function historyChart(el, data, { onPick, logY = false, yName = 'final' } = {}) {
  const chart = await chartOn(el);
  const points = data.points.sequence.map((s, i) => [s, data.points.value[i], data.points.trial_id[i]]);
  const best = data.best.sequence.map((s, i) => [s, data.best.value[i], data.best.trial_id[i]]);
  // A log scale only where every value is positive; otherwise ECharts would drop points silently.
  const canLog = points.length > 0 && points.every((p) => p[1] > 0);
  // Where the best value was first reached (the step line carries it on to the last trial).
  const top = best.length ? best.find((p) => p[1] === best[best.length - 1][1]) : null;
  // With constrained objectives only the trials meeting them lead (the server's `constrained`).
  const bestName = data.constrained ? 'best so far (feasible)' : 'best so far';
  chart.setOption({
    ...BASE,
    legend: { data: [yName, bestName], top: 4 },
    tooltip: { trigger: 'item', formatter: (p) => tip([['trial', p.data[2]], ['#', p.data[0]], [p.seriesName, fmtNumber(p.data[1])]]) },
    grid: { ...GRID, bottom: 56 },
    xAxis: { type: 'value', name: 'trial #', nameLocation: 'end', nameGap: 8, min: 'dataMin', max: 'dataMax' },
    yAxis: { type: logY && canLog ? 'log' : 'value', name: logY && canLog ? `${yName} (log)` : yName, scale: true },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 14, bottom: 6 }],
    series: [
      { name: bestName, type: 'line', step: 'end', data: best, showSymbol: false, z: 2, lineStyle: { color: '#e8590c', width: 2 }, itemStyle: { color: '#e8590c' },
        // The best trial, marked where it was found.
        markPoint: top ? { symbol: 'pin', symbolSize: 44, data: [{ name: 'best', coord: [top[0], top[1]], value: fmtNumber(top[1], 4) }], label: { fontSize: 10 }, itemStyle: { color: '#e8590c' } } : undefined },
      { name: yName, type: 'scatter', data: points, symbolSize: points.length > 2000 ? 4 : 7, z: 3, large: points.length > 2000, itemStyle: { color: '#1c7ed6', opacity: 0.75 } },
    ],
  }, true);
  chart.off('click');
  if (onPick) chart.on('click', (p) => p.data && onPick(p.data[2]));
  return chart;
}

export async function parallelChart(el, data, { onSelect } = {}) {
  const chart = await chartOn(el);
  const dims = data.dimensions.map((d, i) => {
    const axis = { dim: i, name: d.key, nameTextStyle: { fontSize: 11 } };
    if (d.type === 'categorical') return { ...axis, type: 'category', data: d.categories };
    return { ...axis, type: d.log ? 'log' : 'value', scale: true };
  });
  const metricDim = dims.length;
  dims.push({ dim: metricDim, name: 'final', type: 'value', scale: true, nameTextStyle: { fontWeight: 'bold' } });
  const values = data.rows.map((r) => r[metricDim]).filter((v) => v !== null);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const good = data.mode === 'maximize' ? ['#d0d7e5', '#1c7ed6'] : ['#1c7ed6', '#d0d7e5'];
  chart.setOption({
    ...BASE,
    parallel: { left: 48, right: 120, top: 40, bottom: 24, parallelAxisDefault: { realtime: false } },
    parallelAxis: dims,
    // The colour bar names its ends, so a colour reads as a value.
    visualMap: { show: true, min, max, dimension: metricDim, inRange: { color: good }, right: 0, top: 'middle', itemHeight: 120, itemWidth: 12,
      calculable: false, precision: 3, text: [fmtNumber(max, 3), fmtNumber(min, 3)], textGap: 6, formatter: (v) => fmtNumber(v, 3) },
    series: [{ type: 'parallel', data: data.rows, lineStyle: { width: 1, opacity: 0.45 }, inactiveOpacity: 0.03, activeOpacity: 0.9, progressive: 500, smooth: false }],
  }, true);
  chart.off('axisareaselected');
  if (onSelect) {
    chart.on('axisareaselected', () => {
      const series = chart.getModel().getSeries()[0];
      const indices = series.getRawIndicesByActiveState('active');
      onSelect(indices.map((i) => data.trial_ids[i]));
    });
  }
  return chart;
}

export async function curvesChart(el, curves, { title } = {}) {
  const chart = await chartOn(el);
  const many = curves.length > 12;
  chart.setOption({
    ...BASE,
    grid: { ...GRID, right: many ? 24 : 140 },
    title: title ? { text: title, textStyle: { fontSize: 13 } } : undefined,
    legend: many ? { show: false } : { type: 'scroll', orient: 'vertical', right: 0, top: 24 },
    tooltip: { trigger: 'item', formatter: (p) => tip([['trial', p.seriesName], ['step', p.data[0]], ['value', fmtNumber(p.data[1])]]) },
    // Steps are whole numbers: no 0.5 ticks.
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 28, min: 'dataMin', minInterval: 1 },
    yAxis: { type: 'value', scale: true, name: 'intermediate' },
    dataZoom: [{ type: 'inside' }],
    series: curves.map((c) => ({
      // A curve of one point has no line: draw its point large enough to see.
      name: c.trial_id, type: 'line', showSymbol: c.sequence.length < 30, symbolSize: c.sequence.length <= 2 ? 9 : 4,
      data: c.sequence.map((s, i) => [s, c.value[i]]), lineStyle: { width: many ? 1 : 1.6 }, emphasis: { focus: 'series' },
    })),
  }, true);
  return chart;
}

export async function timelineChart(el, data) {
  const chart = await chartOn(el);
  const t0 = Math.min(...data.start);
  const rows = data.start.map((s, i) => [data.sequence[i], s - t0, data.end[i] - t0, data.status[i], data.trial_id[i]]);
  const narrow = el.clientWidth < 600;
  // One series per status present, so the legend names each colour.
  const statuses = [...new Set(data.status)];
  const renderItem = (params, api) => {
    const start = api.coord([api.value(1), api.value(0)]);
    const end = api.coord([api.value(2), api.value(0)]);
    const height = Math.max(1, Math.min(8, api.size([0, 1])[1] * 0.8));
    return { type: 'rect', shape: { x: start[0], y: start[1] - height / 2, width: Math.max(1, end[0] - start[0]), height }, style: { fill: api.visual('color') } };
  };
  const labels = data.histogram.counts.map((_, i) => `${fmtNumber(data.histogram.edges[i], 3)}–${fmtNumber(data.histogram.edges[i + 1], 3)}s`);
  chart.setOption({
    ...BASE,
    // Side by side on a wide box, stacked on a phone (two charts in 390 px would each be a sliver).
    grid: narrow ? [{ left: 48, right: 16, top: 64, height: '34%' }, { left: 48, right: 16, top: '64%', bottom: 56 }]
      : [{ left: 64, right: '42%', top: 64, bottom: 40 }, { left: '64%', right: 16, top: 64, bottom: 56 }],
    legend: { top: 22, left: 0, data: statuses, textStyle: { fontSize: 11 } },
    title: narrow ? [{ text: 'timeline', left: 'center', top: 0, textStyle: { fontSize: 12 } }, { text: 'durations', left: 'center', top: '55%', textStyle: { fontSize: 12 } }]
      : [{ text: 'timeline', left: '25%', top: 0, textStyle: { fontSize: 12 } }, { text: 'durations', left: '78%', top: 0, textStyle: { fontSize: 12 } }],
    tooltip: { trigger: 'item', formatter: (p) => (p.seriesType === 'custom'
      ? tip([['trial', p.data[4]], ['status', p.data[3]], ['duration', `${(p.data[2] - p.data[1]).toFixed(1)}s`]])
      : tip([['duration', p.name], ['trials', p.data]])) },
    xAxis: [{ type: 'value', name: 's since first start', nameLocation: 'middle', nameGap: 26, gridIndex: 0 },
      // Bins labelled by their lower edge (the tooltip gives both); ECharts thins the labels to fit.
      { type: 'category', gridIndex: 1, data: labels, name: 'duration (s)', nameLocation: 'middle', nameGap: 36,
        axisLabel: { formatter: (value) => value.split('–')[0], rotate: 30, fontSize: 10 } }],
    yAxis: [{ type: 'value', name: 'trial #', scale: true, gridIndex: 0, minInterval: 1 }, { type: 'value', gridIndex: 1, name: 'trials', minInterval: 1 }],
    series: [
      ...statuses.map((status) => ({ name: status, type: 'custom', xAxisIndex: 0, yAxisIndex: 0, data: rows.filter((r) => r[3] === status),
        encode: { x: [1, 2], y: 0 }, itemStyle: { color: STATUS_COLORS[status] || '#adb5bd' }, renderItem })),
      { type: 'bar', name: 'durations', xAxisIndex: 1, yAxisIndex: 1, data: data.histogram.counts, barCategoryGap: '10%', itemStyle: { color: '#5b8def' } },
    ],
  }, true);
  return chart;
}

export async function sliceChart(el, plot, mode) {
  const chart = await chartOn(el);
  const categorical = plot.type === 'categorical';
  chart.setOption({
    ...BASE,
    grid: GRID,
    tooltip: { trigger: 'item', formatter: (p) => tip([['trial', p.data[2]], [plot.key, categorical ? p.data[0] : fmtNumber(p.data[0])], ['final', fmtNumber(p.data[1])]]) },
    xAxis: categorical ? { type: 'category', data: plot.categories, name: plot.key }
      : { type: plot.log ? 'log' : 'value', scale: true, name: plot.key, nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', scale: true, name: `final (${mode})` },
    series: [{ type: 'scatter', symbolSize: 5, large: plot.x.length > 2000, data: plot.x.map((x, i) => [x, plot.y[i], plot.trial_id[i]]), itemStyle: { color: '#5b8def', opacity: 0.6 } }],
  }, true);
  return chart;
}

export async function importanceChart(el, data) {
  const chart = await chartOn(el);
  const items = [...data.importance].reverse();
  chart.setOption({
    ...BASE,
    grid: { left: 140, right: 48, top: 24, bottom: 32 },
    tooltip: { trigger: 'item', formatter: (p) => tip([[p.name, `${(p.value * 100).toFixed(1)}%`]]) },
    xAxis: { type: 'value', max: 1, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    yAxis: { type: 'category', data: items.map((d) => d.key), axisLabel: { width: 130, overflow: 'truncate' } },
    series: [{ type: 'bar', barMaxWidth: 28, data: items.map((d) => d.importance), itemStyle: { color: '#5b8def' }, label: { show: true, position: 'right', formatter: (p) => `${(p.value * 100).toFixed(1)}%` } }],
  }, true);
  return chart;
}

/** Empirical distribution function of the final values (optuna-dashboard's EDF plot). */
export async function edfChart(el, values, mode) {
  const chart = await chartOn(el);
  const sorted = [...values].sort((a, b) => a - b);
  const points = sorted.map((v, i) => [v, (i + 1) / sorted.length]);
  chart.setOption({
    ...BASE,
    grid: GRID,
    tooltip: { trigger: 'axis', formatter: (items) => tip([['final', fmtNumber(items[0].data[0])], ['share at or below', `${(items[0].data[1] * 100).toFixed(1)}%`]]) },
    xAxis: { type: 'value', scale: true, name: `final (${mode})`, nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', min: 0, max: 1, name: 'cumulative share', axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    series: [{ name: 'EDF', type: 'line', step: 'end', data: points, showSymbol: points.length < 60, symbolSize: 5, lineStyle: { width: 2, color: '#1c7ed6' }, itemStyle: { color: '#1c7ed6' } }],
  }, true);
  return chart;
}

const CONTOUR_BINS = 10;

/** Cells of one axis: the categories of a categorical parameter, else equal-width bins (equal in log
 * space for a log-distributed one). Returns labels and a function mapping a value to its cell. */
function cellsOf(dim, values) {
  if (dim.type === 'categorical') return { labels: dim.categories, index: (v) => dim.categories.indexOf(v) };
  const finite = values.filter((v) => typeof v === 'number' && Number.isFinite(v) && (!dim.log || v > 0));
  const log = dim.log && finite.length > 0;
  const scale = (v) => (log ? Math.log10(v) : v);
  const low = Math.min(...finite.map(scale));
  const high = Math.max(...finite.map(scale));
  const width = (high - low) / CONTOUR_BINS || 1;
  const labels = Array.from({ length: CONTOUR_BINS }, (_, i) => {
    const centre = low + (i + 0.5) * width;
    return fmtNumber(log ? 10 ** centre : centre, 3);
  });
  const index = (v) => (typeof v === 'number' && Number.isFinite(v) && (!log || v > 0)
    ? Math.min(CONTOUR_BINS - 1, Math.max(0, Math.floor((scale(v) - low) / width))) : -1);
  return { labels, index };
}

/** Two parameters against the final value: each cell coloured by the mean final of the trials in it
 * (a binned contour; empty cells stay blank). `data` is the /charts/parallel answer. */
export async function contourChart(el, data, xIndex, yIndex) {
  const chart = await chartOn(el);
  const metric = data.dimensions.length;
  const xDim = data.dimensions[xIndex];
  const yDim = data.dimensions[yIndex];
  const xs = cellsOf(xDim, data.rows.map((r) => r[xIndex]));
  const ys = cellsOf(yDim, data.rows.map((r) => r[yIndex]));
  const sums = new Map();
  for (const row of data.rows) {
    const i = xs.index(row[xIndex]);
    const j = ys.index(row[yIndex]);
    if (i < 0 || j < 0 || typeof row[metric] !== 'number') continue;
    const cell = sums.get(`${i},${j}`) || [i, j, 0, 0];
    cell[2] += row[metric];
    cell[3] += 1;
    sums.set(`${i},${j}`, cell);
  }
  const cells = [...sums.values()].map(([i, j, sum, n]) => [i, j, sum / n, n]);
  const means = cells.map((c) => c[2]);
  const min = Math.min(...means);
  const max = Math.max(...means);
  const good = data.mode === 'maximize' ? ['#f1f3f5', '#1c7ed6'] : ['#1c7ed6', '#f1f3f5'];
  chart.setOption({
    ...BASE,
    grid: { left: 130, right: 110, top: 24, bottom: 64 },
    tooltip: { trigger: 'item', formatter: (p) => tip([[xDim.key, xs.labels[p.data[0]]], [yDim.key, ys.labels[p.data[1]]], ['mean final', fmtNumber(p.data[2])], ['trials', p.data[3]]]) },
    // Category labels can be any user value: truncated to their room (the tooltip has them whole).
    xAxis: { type: 'category', data: xs.labels, name: xDim.key, nameLocation: 'middle', nameGap: 44, axisLabel: { rotate: 30, fontSize: 10, width: 90, overflow: 'truncate' }, splitArea: { show: true } },
    yAxis: { type: 'category', data: ys.labels, name: yDim.key, axisLabel: { fontSize: 10, width: 110, overflow: 'truncate' }, splitArea: { show: true } },
    visualMap: { min, max, dimension: 2, calculable: false, inRange: { color: good }, right: 0, top: 'middle', itemHeight: 140, itemWidth: 12,
      text: [fmtNumber(max, 3), fmtNumber(min, 3)], precision: 3, formatter: (v) => fmtNumber(v, 3) },
    series: [{ type: 'heatmap', data: cells, label: { show: cells.length <= 60, formatter: (p) => fmtNumber(p.data[2], 3), fontSize: 9 } }],
  }, true);
  return chart;
}

// Rank colours: the best ranks blue, the worst orange; the blue is lighter on a dark background.
const RANK_COLORS = { light: ['#1864ab', '#4dabf7', '#ced4da', '#ffa94d', '#d9480f'], dark: ['#a5d8ff', '#4dabf7', '#5c5f66', '#ffa94d', '#ff6b6b'] };

function rankAxis(dim, name, labelWidth) {
  if (dim.type === 'categorical') return { type: 'category', data: dim.categories, name, nameLocation: 'middle', nameGap: 36, axisLabel: { width: labelWidth, overflow: 'truncate', fontSize: 10 } };
  return { type: dim.log ? 'log' : 'value', scale: true, name, nameLocation: 'middle', nameGap: 36, axisLabel: { hideOverlap: true } };
}

/** A parameter against another (or against the final value, `yIndex` -1), each trial's point coloured by
 * the rank of its final value (optuna-dashboard's rank plot). `data` is the /charts/rank answer. */
export async function rankChart(el, data, xIndex, yIndex) {
  const chart = await chartOn(el);
  const xDim = data.dimensions[xIndex];
  const yDim = yIndex >= 0 ? data.dimensions[yIndex] : null;
  const points = [];
  data.rows.forEach((row, i) => {
    const y = yDim ? row[yIndex] : data.final[i];
    if (row[xIndex] === null || y === null || y === undefined) return; // a nested parameter this trial lacks
    points.push([row[xIndex], y, data.rank[i], data.trial_ids[i], data.final[i]]);
  });
  // The best drawn last, on top, so a good region is not hidden under worse points.
  points.sort((a, b) => b[2] - a[2]);
  const worst = Math.max(1, data.total);
  // On a phone the colour bar lies above the plot, which keeps the width for the points.
  const narrow = el.clientWidth < 600;
  const bar = narrow ? { orient: 'horizontal', left: 'center', top: 0, itemHeight: 160, itemWidth: 10 } : { right: 0, top: 'middle', itemHeight: 140, itemWidth: 12 };
  chart.setOption({
    ...BASE,
    grid: narrow ? { left: 64, right: 16, top: 48, bottom: 56 } : { left: 72, right: 110, top: 24, bottom: 56 },
    tooltip: { trigger: 'item', formatter: (p) => tip([['trial', p.data[3]], [xDim.key, fmtValue(p.data[0])],
      ...(yDim ? [[yDim.key, fmtValue(p.data[1])]] : []), ['final', fmtNumber(p.data[4])], ['rank', `${p.data[2]} of ${data.total}`]]) },
    xAxis: rankAxis(xDim, xDim.key, narrow ? 48 : 90),
    yAxis: yDim ? rankAxis(yDim, yDim.key, narrow ? 48 : 90) : { type: 'value', scale: true, name: `final (${data.mode})`, nameLocation: 'middle', nameGap: 48 },
    visualMap: { min: 1, max: worst, dimension: 2, calculable: false, inverse: true, inRange: { color: RANK_COLORS[currentTheme() === 'dark' ? 'dark' : 'light'] }, ...bar,
      text: [`rank ${worst}`, 'rank 1 (best)'], textGap: 6, precision: 0, formatter: (v) => `rank ${Math.round(v)}` },
    series: [{ name: 'rank', type: 'scatter', data: points, symbolSize: points.length > 2000 ? 5 : 8, large: points.length > 2000,
      itemStyle: { opacity: 0.85 } }],
  }, true);
  return chart;
}
