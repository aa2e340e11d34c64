// Whether the manager answers, and when data last arrived: the shell shows a banner and disables every
// action (elements marked data-action) while it is away, and re-renders the page when it comes back.

const state = { online: true, lastDataAt: null, lostAt: null };
const listeners = new Set();

export function connection() { return { ...state }; }

export function onConnectionChange(fn) { listeners.add(fn); }

function notify() { for (const fn of listeners) fn(connection()); }

/** Data came from the manager (a REST answer or a live batch). */
export function markData() {
  state.lastDataAt = Date.now();
  if (!state.online) { state.online = true; state.lostAt = null; notify(); }
}

export function markLost() {
  if (!state.online) return;
  state.online = false;
  state.lostAt = Date.now();
  notify();
}

export function isOnline() { return state.online; }
