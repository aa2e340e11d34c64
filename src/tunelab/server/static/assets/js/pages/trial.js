// Trial detail: parameters (copy as JSON), metrics chart, logs (stderr first for a failed trial), kill,
// clone as a customized trial, and the trial's events.

import { api } from '../api.js';
import { h, mount, fmtNumber, fmtDuration, fmtTime, fmtValue, statusBadge, toast, throttle } from '../dom.js';
import { curvesChart } from '../charts.js';
import { customTrialForm, confirmKill } from './common.js';

const LOGS = ['stdout', 'stderr', 'trial.log'];
const LOG_TAIL = 64 * 1024;

export async function render(root, { args }) {
  const id = args[0];
  const exp = await api('/experiment');
  let trial = await api(`/trials/${encodeURIComponent(id)}`);
  let logName = trial.status === 'FAILED' ? 'stderr' : 'stdout';
  const head = h('div', { class: 'page-head' });
  const info = h('div', { class: 'cards' });
  const chartBox = h('div', { class: 'chart', 'data-testid': 'trial-chart' });
  const logTabs = h('div', { class: 'tabs' });
  const logBox = h('pre', { class: 'log', 'data-testid': 'trial-log' });
  const logMore = h('div', { class: 'row' });
  // The log is read from its end; "load earlier" prepends the previous range (the API serves byte ranges).
  const log = { start: 0, size: 0, text: '' };
  const cloneBox = h('div', { class: 'custom-box', hidden: true });
  const noteText = h('textarea', { rows: 3, 'data-testid': 'trial-note', 'aria-label': 'note on this trial', placeholder: 'Your note on this trial (searchable from the Trials filter)', disabled: exp.read_only }, trial.note || '');
  const noteStatus = h('span', { class: 'muted small' });
  async function saveNote(event) {
    event.preventDefault();
    try {
      trial = { ...trial, ...(await api(`/trials/${encodeURIComponent(trial.id)}/note`, { method: 'PUT', body: { note: noteText.value } })) };
      noteStatus.textContent = 'Saved.';
    } catch (error) { toast(error.message, 'error'); }
  }
  const noteForm = h('form', { class: 'note-form', onsubmit: saveNote }, noteText,
    h('div', { class: 'row' }, h('button', { type: 'submit', 'data-testid': 'save-note', 'data-action': '', disabled: exp.read_only }, 'Save note'), noteStatus));
  const events = h('div');
  // Updated with the chart as results arrive, so the count and the drawn points never disagree.
  const intermediatesCell = h('span', { 'data-testid': 'trial-intermediates' });

  mount(root, head, info,
    h('section', {}, h('h2', {}, 'Note'), noteForm),
    h('section', {}, h('h2', {}, 'Intermediate results'), chartBox),
    h('section', {}, h('h2', {}, 'Logs'), logTabs, logMore, logBox),
    cloneBox,
    h('section', {}, h('h2', {}, 'Events'), events));

  function draw() {
    mount(head,
      h('h1', {}, 'Trial ', h('span', { 'data-testid': 'trial-id' }, trial.id), ' ', statusBadge(trial.status)),
      h('div', { class: 'row' },
        h('a', { href: '#/trials' }, '← all trials'),
        h('button', { type: 'button', 'data-testid': 'copy-params', onclick: copyParams }, 'Copy parameters as JSON'),
        h('button', { type: 'button', disabled: exp.read_only, 'data-action': '', onclick: () => { cloneBox.hidden = !cloneBox.hidden; } }, 'Clone as customized trial'),
        ['RUNNING', 'WAITING'].includes(trial.status) && !exp.read_only
          ? h('button', { type: 'button', class: 'danger', 'data-testid': 'kill-trial', 'data-action': '', onclick: kill }, 'Kill') : null),
      outsideSpace().map((w) => h('div', { class: 'warn-box', 'data-testid': 'outside-space' }, `Customized outside the search space: ${w}`)));
    mount(info,
      h('div', { class: 'card' }, h('div', { class: 'card-title' }, 'Parameters'),
        h('pre', { class: 'json', 'data-testid': 'trial-params' }, JSON.stringify(trial.parameters, null, 2))),
      h('div', { class: 'card' }, h('div', { class: 'card-title' }, 'Result'),
        h('div', { class: 'big', 'data-testid': 'trial-final' }, fmtNumber(trial.final, 6)),
        trial.final_data && typeof trial.final_data === 'object'
          ? h('table', { class: 'kv' }, Object.entries(trial.final_data).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, fmtValue(v))))) : null,
        trial.message ? h('div', { class: 'error-box small' }, trial.message) : null),
      h('div', { class: 'card' }, h('div', { class: 'card-title' }, 'Run'),
        h('table', { class: 'kv' },
          [['sequence', trial.sequence], ['source', trial.source], ['attempt', trial.attempt], ['created', fmtTime(trial.created_at)],
            ['started', fmtTime(trial.started_at)], ['ended', fmtTime(trial.ended_at)], ['duration', fmtDuration(trial.duration)],
            ['intermediates', intermediatesCell]].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))),
        // TensorBoard runs apart from this server: show the command that serves this trial's event files.
        trial.tensorboard ? h('div', { class: 'small', 'data-testid': 'trial-tensorboard' }, 'TensorBoard: ',
          h('code', {}, trial.tensorboard.command)) : null));
    intermediatesCell.textContent = intermediatesText();
    // Event data wraps inside a fixed-layout table: one long JSON value must not widen the page.
    mount(events, trial.events.length ? h('div', { class: 'table-box' }, h('table', { class: 'grid events', 'data-testid': 'trial-events' }, h('tbody', {}, trial.events.map((e) =>
      h('tr', {}, h('td', {}, fmtTime(e.timestamp)), h('td', { class: 'wrap' }, e.kind), h('td', { class: 'params wrap' }, JSON.stringify(e.data))))))) : h('p', { class: 'muted' }, 'No events.'));
  }

  function outsideSpace() {
    return trial.events.filter((e) => e.kind === 'customized_outside_space').flatMap((e) => (e.data && e.data.warnings) || []);
  }

  // The chart draws finite values only; say so when the count and the drawn points differ.
  function intermediatesText() {
    const drawn = trial.intermediate.filter((m) => typeof m.value === 'number').length;
    const count = Math.max(trial.intermediate_count, trial.intermediate.length);
    return drawn === count ? String(count) : `${count} (${drawn} drawn; the others are not finite numbers)`;
  }

  // The live feed can repeat a result the page already read (one reported between the page's request and
  // its answer): keep one per step, in step order.
  function addIntermediates(metrics) {
    const steps = new Map(trial.intermediate.map((m) => [m.sequence, m]));
    for (const m of metrics) steps.set(m.sequence, { sequence: m.sequence, value: m.value, data: m.data, timestamp: m.timestamp });
    trial.intermediate = [...steps.values()].sort((a, b) => a.sequence - b.sequence);
  }

  function drawChart() {
    intermediatesCell.textContent = intermediatesText();
    const points = trial.intermediate.filter((m) => typeof m.value === 'number');
    if (!points.length) { mount(chartBox, h('p', { class: 'muted' }, 'No intermediate result reported.')); return; }
    curvesChart(chartBox, [{ trial_id: trial.id, sequence: points.map((m) => m.sequence), value: points.map((m) => m.value) }]);
  }

  async function loadLog() {
    mount(logTabs, LOGS.map((name) => h('button', { type: 'button', class: name === logName ? 'tab active' : 'tab', 'data-log': name, onclick: () => { logName = name; loadLog(); } }, name)));
    try {
      const chunk = await api(`/trials/${encodeURIComponent(trial.id)}/logs/${logName}`, { params: { tail: LOG_TAIL } });
      Object.assign(log, { start: chunk.offset, size: chunk.size, text: chunk.text });
      drawLog();
    } catch (error) { logBox.textContent = error.message; mount(logMore); }
  }

  function drawLog() {
    logBox.textContent = log.text || (log.size ? '' : `(${logName} is empty)`);
    mount(logMore, log.start > 0 ? [
      h('span', { class: 'muted small', 'data-testid': 'log-range' }, `showing the last ${log.size - log.start} of ${log.size} bytes`),
      h('button', { type: 'button', 'data-testid': 'log-earlier', onclick: loadEarlier }, `Load ${Math.min(LOG_TAIL, log.start)} bytes earlier`),
    ] : null);
  }

  async function loadEarlier() {
    const offset = Math.max(0, log.start - LOG_TAIL);
    try {
      const chunk = await api(`/trials/${encodeURIComponent(trial.id)}/logs/${logName}`, { params: { offset, length: log.start - offset } });
      Object.assign(log, { start: offset, text: chunk.text + log.text });
      drawLog();
    } catch (error) { toast(error.message, 'error'); }
  }

  async function copyParams() {
    const text = JSON.stringify(trial.parameters, null, 2);
    try { await navigator.clipboard.writeText(text); toast('Parameters copied.'); } catch { toast('The clipboard is not available here; select the JSON above.', 'error'); }
  }

  async function kill() {
    if (!confirmKill(trial.id)) return;
    try { await api(`/trials/${encodeURIComponent(trial.id)}/kill`, { method: 'POST' }); toast('Killed.'); await reload(); } catch (error) { toast(error.message, 'error'); }
  }

  async function reload() {
    trial = await api(`/trials/${encodeURIComponent(id)}`);
    draw();
    drawChart();
  }

  mount(cloneBox, h('h2', {}, 'Clone as customized trial'), customTrialForm(trial.parameters, { onDone: (t) => { location.hash = `#/trials/${encodeURIComponent(t.id)}`; } }));
  draw();
  drawChart();
  loadLog();
  const refresh = throttle(() => reload().catch(() => {}), 1000);
  const refreshLog = throttle(loadLog, 2000);
  const redrawChart = throttle(drawChart, 1000);
  return {
    dispose() { refresh.cancel(); refreshLog.cancel(); redrawChart.cancel(); },
    onChanges(batch) {
      let mine = false;
      for (const change of batch) {
        if (change.type === 'trial' && change.trial.id === trial.id) mine = true;
        if (change.type === 'metrics' && change.metrics.some((m) => m.trial_id === trial.id)) {
          addIntermediates(change.metrics.filter((m) => m.trial_id === trial.id && m.kind === 'PERIODICAL'));
          redrawChart();
        }
      }
      if (mine) { refresh(); refreshLog(); }
    },
  };
}
