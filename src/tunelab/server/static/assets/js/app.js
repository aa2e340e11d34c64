// The single-page shell: a hash router over the pages and one live-update stream (server-sent events)
// whose change batches are handed to the current page, which patches only what changed.

import { h, mount } from './dom.js';
import { disposeAll } from './charts.js';
import * as overview from './pages/overview.js';
import * as trials from './pages/trials.js';
import * as trial from './pages/trial.js';
import * as compare from './pages/compare.js';
import * as experiments from './pages/experiments.js';

// Counters for tests and the benchmark: how many changes and metric reports this page applied.
const stats = { batches: 0, changes: 0, metrics: 0, maxLagS: 0, resyncs: 0 };
window.tunelabStats = stats;

const routes = [
  [/^#?\/?$/, overview, 'overview'],
  [/^#\/trials\/?$/, trials, 'trials'],
  [/^#\/trials\/([^/?]+)$/, trial, 'trials'],
  [/^#\/compare\/?$/, compare, 'compare'],
  [/^#\/experiments\/?$/, experiments, 'experiments'],
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
    mount(root, h('div', { class: 'error-box' }, String(error.message || error)));
  }
}

function connect() {
  const indicator = document.getElementById('live-indicator');
  const source = new EventSource('/api/v1/events');
  source.addEventListener('hello', () => { indicator.textContent = 'live'; indicator.classList.add('on'); });
  source.addEventListener('changes', (event) => {
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
  source.onerror = () => { indicator.textContent = 'reconnecting'; indicator.classList.remove('on'); };
}

window.addEventListener('hashchange', navigate);
navigate();
connect();
