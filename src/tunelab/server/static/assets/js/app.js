// The single-page shell: a hash router over the pages and one live-update stream (server-sent events)
// whose change batches are handed to the current page, which patches only what changed.

import { h, mount, clearToast, fmtTime } from './dom.js';
import { disposeAll } from './charts.js';
import { connection, isOnline, markData, markLost, onConnectionChange } from './connection.js';
import { initTheme } from './theme.js';
import * as overview from './pages/overview.js';
import * as trials from './pages/trials.js';
import * as trial from './pages/trial.js';
import * as compare from './pages/compare.js';
import * as experiments from './pages/experiments.js';
import * as managerLog from './pages/log.js';

// A background refresh that loses the manager rejects with 'unreachable'; the connection banner already tells
// the user (markLost), so such a rejection is expected and handled there, not an error of the page.
window.addEventListener('unhandledrejection', (event) => {
  if (event.reason && event.reason.code === 'unreachable') event.preventDefault();
});

// Counters for tests and the benchmark: how many changes and metric reports this page applied.
const stats = { batches: 0, changes: 0, metrics: 0, maxLagS: 0, resyncs: 0 };
window.tunelabStats = stats;

const routes = [
  [/^#?\/?$/, overview, 'overview'],
  [/^#\/trials\/?$/, trials, 'trials'],
  [/^#\/trials\/([^/?]+)$/, trial, 'trials'],
  [/^#\/compare\/?$/, compare, 'compare'],
  [/^#\/experiments\/?$/, experiments, 'experiments'],
  [/^#\/log\/?$/, managerLog, 'log'],
];

let current = null;

function parseHash() {
  const [path, query = ''] = (location.hash || '#/').split('?');
  return { path, query: new URLSearchParams(query) };
}

async function navigate() {
  const { path, query } = parseHash();
  if (current && current.dispose) current.dispose();
  current = null;
  clearToast();
  disposeAll();
  const root = document.getElementById('app');
  const match = routes.find(([pattern]) => pattern.test(path));
  for (const link of document.querySelectorAll('[data-nav]')) {
    link.classList.toggle('active', Boolean(match) && link.dataset.nav === match[2]);
  }
  if (!match) {
    mount(root, h('p', {}, 'No such page. '), h('a', { href: '#/' }, 'Back to the overview'));
    return;
  }
  const [pattern, page] = match;
  const args = path.match(pattern).slice(1).map(decodeURIComponent);
  try {
    current = await page.render(root, { args, query });
  } catch (error) {
    mount(root, h('div', { class: 'error-box', 'data-testid': 'page-error' }, String(error.message || error)));
  }
}

function connect() {
  const indicator = document.getElementById('live-indicator');
  const source = new EventSource('/api/v1/events');
  source.addEventListener('hello', () => { indicator.textContent = 'live'; indicator.classList.add('on'); markData(); });
  source.addEventListener('changes', (event) => {
    markData();
    const batch = JSON.parse(event.data);
    stats.batches += 1;
    stats.changes += batch.length;
    const now = Date.now() / 1000;
    for (const change of batch) {
      if (change.type === 'metrics') {
        stats.metrics += change.metrics.length;
        for (const m of change.metrics) stats.maxLagS = Math.max(stats.maxLagS, now - m.timestamp);
      } else if (change.type === 'resync') {
        stats.resyncs += 1;
      }
    }
    if (current && current.onChanges) current.onChanges(batch);
  });
  source.onerror = () => { indicator.textContent = 'reconnecting'; indicator.classList.remove('on'); markLost(); };
}

// While the manager is away: a banner saying how old the data is, and every action refused (buttons
// marked data-action are disabled by CSS, and this capture listener stops keyboard activation too).
function showConnection({ online, lastDataAt, lostAt }) {
  const banner = document.getElementById('offline-banner');
  document.body.classList.toggle('offline', !online);
  banner.hidden = online;
  if (!online) {
    const last = lastDataAt ? fmtTime(lastDataAt / 1000) : 'never';
    mount(banner, h('strong', {}, 'Lost the connection to the manager'),
      ` at ${fmtTime(lostAt / 1000)}. Showing data from ${last}. Actions are disabled; reconnecting by itself…`);
  }
}
onConnectionChange((info) => {
  showConnection(info);
  if (info.online) navigate(); // back: redraw the current page from fresh data
});
document.addEventListener('click', (event) => {
  if (!isOnline() && event.target.closest && event.target.closest('[data-action]')) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
document.addEventListener('submit', (event) => {
  if (!isOnline()) { event.preventDefault(); event.stopImmediatePropagation(); }
}, true);
showConnection(connection());
// Skip links name an element id; following them as links would change the hash route instead.
document.addEventListener('click', (event) => {
  const link = event.target.closest && event.target.closest('[data-skip]');
  if (!link) return;
  event.preventDefault();
  const target = document.getElementById(link.dataset.skip);
  if (target) { if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1'); target.focus(); target.scrollIntoView({ block: 'start' }); }
});
initTheme(() => navigate());

window.addEventListener('hashchange', navigate);
navigate();
connect();
