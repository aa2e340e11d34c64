// Overview: status, best and baseline, counts, budget (editable), top trials, optimization history.

import { api } from '../api.js';
import { h, mount, columnFormatter, fmtNumber, fmtDuration, markReady, statusBadge, toast, throttle } from '../dom.js';
import { historyChart } from '../charts.js';
import { trialLink, paramsSummary } from './common.js';
import { paretoCard } from './pareto.js';

const TOP_N = 10;

export async function render(root) {
  const state = { exp: null, top: [] };
  const body = h('div', { class: 'overview' });
  const chartBox = h('div', { class: 'chart', 'data-testid': 'history-chart' });
  const topBox = h('div');
  // The note lives outside the re-rendered body: live updates redraw the body, and must not wipe what
  // the user is typing.
  const noteText = h('textarea', { rows: 2, 'data-testid': 'experiment-note', 'aria-label': 'note on this experiment', placeholder: 'Your note on this experiment' });
  const noteStatus = h('span', { class: 'muted small' });
  const saveButton = h('button', { type: 'submit', 'data-testid': 'save-experiment-note', 'data-action': '' }, 'Save note');
  const noteForm = h('form', { class: 'note-form', onsubmit: async (event) => {
    event.preventDefault();
    try { await api('/experiment/note', { method: 'PUT', body: { note: noteText.value } }); noteStatus.textContent = 'Saved.'; } catch (error) { toast(error.message, 'error'); }
  } }, noteText, h('div', { class: 'row' }, saveButton, noteStatus));
  mount(root, body, h('section', {}, h('h2', {}, 'Note'), noteForm));

  // Paint the overview as soon as /experiment answers; the top-N table follows in a second request.
  async function load() {
    state.exp = await api('/experiment');
    if (document.activeElement !== noteText) noteText.value = state.exp.note || '';
    noteText.disabled = saveButton.disabled = state.exp.read_only;
    draw();
    markReady('overview');
    const order = state.exp.optimize_mode === 'maximize' ? 'desc' : 'asc';
    const top = await api('/trials', { params: { sort: 'final', order, limit: TOP_N } });
    state.top = top.trials.filter((t) => typeof t.final === 'number'); // missing finals sort last
    mount(topBox, topTable(state.top, state.exp));
  }

  function draw() {
    const { exp } = state;
    mount(body,
      header(exp),
      exp.status === 'ERROR' && exp.error ? h('div', { class: 'error-box', 'data-testid': 'experiment-error' }, exp.error) : null,
      failuresPanel(exp),
      // Several objectives have no one best: the card lists the Pareto front (GET /experiment's pareto).
      h('div', { class: 'cards' }, exp.pareto ? paretoCard(exp.pareto) : bestCard(exp), baselineCard(exp), countsCard(exp), budgetCard(exp, load)),
      h('section', {}, h('h2', {}, `Top ${TOP_N} trials`), mount(topBox, topTable(state.top, exp))),
      h('section', {}, h('h2', {}, 'Optimization history'), chartBox),
      configSection(exp),
    );
    drawChart();
  }

  const drawChart = throttle(async () => {
    const data = await api('/charts/history', { params: { max_points: 1500 } });
    if (data.total) await historyChart(chartBox, data, { onPick: (id) => { location.hash = `#/trials/${encodeURIComponent(id)}`; } });
    else mount(chartBox, h('p', { class: 'muted' }, 'No finished trial yet.'));
  }, 3000);

  await load();
  const refresh = throttle(() => load().catch((e) => toast(e.message, 'error')), 1000);
  return {
    dispose() { refresh.cancel(); drawChart.cancel(); },
    onChanges(batch) {
      if (batch.some((c) => c.type !== 'metrics')) refresh();
    },
  };
}

/** The experiment's configuration and search space, read-only and copyable. */
function configSection(exp) {
  const block = (title, value, testid) => {
    const text = JSON.stringify(value ?? {}, null, 2);
    const copy = async () => {
      try { await navigator.clipboard.writeText(text); toast(`${title} copied.`); } catch { toast('The clipboard is not available here; select the text instead.', 'error'); }
    };
    return h('details', { class: 'config-block' }, h('summary', {}, title),
      h('div', { class: 'row' }, h('button', { type: 'button', onclick: copy }, `Copy ${title.toLowerCase()}`)),
      h('pre', { class: 'json', 'data-testid': testid }, text));
  };
  const { searchSpace, ...rest } = exp.config || {};
  return h('section', {}, h('h2', {}, 'Configuration'),
    block('Search space', searchSpace, 'config-space'), block('Config', rest, 'config-json'));
}

function header(exp) {
  return h('div', { class: 'page-head' },
    h('h1', {}, h('span', { 'data-testid': 'experiment-name' }, exp.name || exp.id), ' ', statusBadge(exp.status)),
    h('div', { class: 'muted' }, `id ${exp.id} · optimize: ${exp.optimize_mode} · `, exp.experiment_dir),
  );
}

// The same summary as `tunelab show`: how many failed, the most common reason, how to read one stderr.
function failuresPanel(exp) {
  const f = exp.failures;
  if (!f) return null;
  const finished = Object.entries(exp.counts).filter(([s]) => s !== 'WAITING' && s !== 'RUNNING').reduce((a, [, n]) => a + n, 0);
  const most = f.reason_count === f.failed ? '' : ` (${f.reason_count} of them)`;
  return h('div', { class: 'warn-box', 'data-testid': 'failures' },
    h('strong', {}, `${f.failed} of ${finished} trials failed${most}: `), f.reason,
    f.hint ? h('div', { 'data-testid': 'failure-hint' }, f.hint) : null,
    h('div', {}, 'Read ', h('a', { href: `#/trials/${encodeURIComponent(f.trial_id)}` }, `trial ${f.sequence}`),
      "'s stderr, or run ", h('code', {}, f.command), ' · ',
      h('a', { href: `#/trials?filter=${encodeURIComponent('status:FAILED')}` }, 'all failed trials')),
  );
}

function bestCard(exp) {
  const best = exp.best;
  return h('div', { class: 'card best' },
    h('div', { class: 'card-title' }, `Best metric (${exp.optimize_mode})`),
    best ? [
      h('div', { class: 'big', 'data-testid': 'best-value' }, fmtNumber(best.final, 6)),
      h('div', {}, 'trial ', trialLink(best), ` (#${best.sequence})`),
      h('div', { class: 'params' }, paramsSummary(best.parameters)),
    ] : h('div', { class: 'big muted', 'data-testid': 'best-value' }, '—'),
  );
}

function baselineCard(exp) {
  const { best, baseline } = exp;
  if (!baseline) return null;
  const b = typeof baseline.final === 'number' ? baseline.final : null;
  const v = best && typeof best.final === 'number' ? best.final : null;
  const delta = b !== null && v !== null ? v - b : null;
  return h('div', { class: 'card', 'data-testid': 'baseline' },
    h('div', { class: 'card-title' }, 'Best vs baseline'),
    h('div', { class: 'big' }, delta === null ? '—' : `${delta >= 0 ? '+' : ''}${fmtNumber(delta, 4)}`),
    h('div', {}, `baseline `, trialLink(baseline), `: ${fmtNumber(b)} → best ${fmtNumber(v)}`),
  );
}

function countsCard(exp) {
  const total = Object.values(exp.counts).reduce((a, b) => a + b, 0);
  return h('div', { class: 'card' },
    h('div', { class: 'card-title' }, `Trials: ${total}`),
    h('div', { class: 'chips', 'data-testid': 'counts' },
      Object.entries(exp.counts).filter(([, n]) => n > 0).map(([state, n]) =>
        h('a', { class: `chip s-${state.toLowerCase()}`, href: `#/trials?filter=${encodeURIComponent(`status:${state}`)}` }, `${state} ${n}`))),
  );
}

function budgetCard(exp, reload) {
  const cfg = exp.config || {};
  const readOnly = exp.read_only;
  const max = exp.max_duration_s;
  const share = max ? Math.min(1, exp.elapsed / max) : null;
  const concurrency = h('input', { type: 'number', min: 1, value: cfg.trialConcurrency ?? '', 'data-testid': 'edit-concurrency', disabled: readOnly });
  const maxTrials = h('input', { type: 'number', min: 1, value: cfg.maxTrialNumber ?? '', placeholder: 'unlimited', 'data-testid': 'edit-max-trials', disabled: readOnly });
  const maxDuration = h('input', { type: 'text', value: cfg.maxExperimentDuration ?? '', placeholder: 'e.g. 2h', 'data-testid': 'edit-max-duration', disabled: readOnly });
  async function save(event) {
    event.preventDefault();
    const patch = {};
    if (concurrency.value && Number(concurrency.value) !== cfg.trialConcurrency) patch.trialConcurrency = Number(concurrency.value);
    if (maxTrials.value && Number(maxTrials.value) !== cfg.maxTrialNumber) patch.maxTrialNumber = Number(maxTrials.value);
    if (maxDuration.value && maxDuration.value !== String(cfg.maxExperimentDuration ?? '')) patch.maxExperimentDuration = maxDuration.value;
    if (!Object.keys(patch).length) { toast('Nothing changed.'); return; }
    try {
      await api('/experiment', { method: 'PATCH', body: patch });
      toast('Saved.');
      await reload();
    } catch (error) { toast(error.message, 'error'); }
  }
  async function stop() {
    if (!confirm('Stop the experiment? Running trials are killed.')) return;
    try { await api('/experiment/stop', { method: 'POST' }); toast('Stopping.'); await reload(); } catch (error) { toast(error.message, 'error'); }
  }
  return h('div', { class: 'card' },
    h('div', { class: 'card-title' }, 'Budget'),
    h('div', { 'data-testid': 'elapsed' }, `elapsed ${fmtDuration(exp.elapsed)}`, max ? ` of ${fmtDuration(max)}` : ' (no time limit)'),
    share !== null ? h('div', { class: 'bar' }, h('div', { style: { width: `${(share * 100).toFixed(1)}%` } })) : null,
    h('form', { class: 'budget', onsubmit: save },
      h('label', {}, 'concurrency', concurrency),
      h('label', {}, 'max trials', maxTrials),
      h('label', {}, 'max duration', maxDuration),
      h('div', { class: 'row' },
        h('button', { type: 'submit', disabled: readOnly, 'data-testid': 'save-budget', 'data-action': '' }, 'Save'),
        h('button', { type: 'button', class: 'danger', 'data-action': '', disabled: readOnly || !['RUNNING', 'NO_MORE_TRIAL', 'TUNER_NO_MORE_TRIAL', 'DONE'].includes(exp.status), onclick: stop }, 'Stop experiment')),
      readOnly ? h('div', { class: 'muted' }, 'Read-only view: resume the experiment to change it.') : null,
    ),
  );
}

function topTable(rows, exp) {
  if (!rows.length) return h('p', { class: 'muted' }, 'No finished trial yet.');
  const finalFormat = columnFormatter(rows.map((t) => t.final), 5);
  return h('div', { class: 'table-box' }, h('table', { class: 'grid', 'data-testid': 'top-trials' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'trial'), h('th', {}, `final (${exp.optimize_mode})`), h('th', {}, 'duration'), h('th', {}, 'parameters'))),
    h('tbody', {}, rows.map((t) => h('tr', {},
      h('td', {}, t.sequence), h('td', {}, trialLink(t)), h('td', { class: 'num' }, finalFormat(t.final)),
      h('td', { class: 'num' }, fmtDuration(t.duration)), h('td', { class: 'params' }, paramsSummary(t.parameters)))))));
}

