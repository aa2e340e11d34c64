// DOM helpers. Every user-supplied string reaches the page as a text node or an attribute value set
// through the DOM API: nothing here parses HTML, so a parameter value like <img onerror=...> stays text.

/** h('div', {class: 'x', onclick: fn, 'data-testid': 'y'}, child, ...): children are nodes or text. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked' || key === 'disabled' || key === 'selected') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's content with the given children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** For the few places that must produce HTML strings (chart tooltips): escape every user value. */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function fmtNumber(value, digits = 4) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value; // "nan", "inf" travel as strings
  if (typeof value !== 'number') return JSON.stringify(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(digits - 1);
  return String(Number(value.toPrecision(digits + 1)));
}

export function fmtValue(value) {
  if (typeof value === 'number') return fmtNumber(value);
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '—';
  return JSON.stringify(value);
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, seconds);
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  // Round once, then split: rounding each part on its own printed "3m 60s".
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${whole % 60}s`;
  const minutes = Math.round(s / 60);
  if (minutes < 1440) return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
  const hours = Math.round(s / 3600);
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** One number format for a whole column, so its values line up: fixed decimals enough for `digits`
 * significant digits of the smallest magnitude, or scientific for every value when the column spans
 * magnitudes fixed notation cannot show (a learning rate of 3e-4 beside 0.0045 no longer mixes styles). */
export function columnFormatter(values, digits = 4) {
  const numbers = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  const fractional = numbers.filter((v) => !Number.isInteger(v));
  if (!fractional.length) return (v) => fmtNumber(v, digits);
  const nonzero = numbers.filter((v) => v !== 0).map(Math.abs);
  const small = Math.min(...nonzero);
  const large = Math.max(...nonzero);
  if (small < 1e-3 || large >= 1e6) {
    return (v) => (typeof v === 'number' && Number.isFinite(v) && v !== 0 ? v.toExponential(digits - 1) : fmtNumber(v, digits));
  }
  const decimals = Math.min(8, Math.max(0, digits - 1 - Math.floor(Math.log10(small))));
  return (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(decimals) : fmtValue(v));
}

export function fmtTime(epoch) {
  if (!epoch) return '—';
  const d = new Date(epoch * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function statusBadge(status) {
  return h('span', { class: `badge s-${String(status).toLowerCase()}`, 'data-testid': 'status' }, status);
}

/** Flatten nested choices into dotted keys, as the server's filter grammar and charts do. */
export function flatten(params, prefix = '', out = {}) {
  for (const [key, value] of Object.entries(params || {})) {
    if (value && typeof value === 'object' && !Array.isArray(value)) flatten(value, `${prefix}${key}.`, out);
    else out[`${prefix}${key}`] = value;
  }
  return out;
}

let toastTimer = null;
/** Drop the current toast: a page change must not carry the previous page's error along. */
export function clearToast() {
  clearTimeout(toastTimer);
  const el = document.getElementById('toast');
  if (el) el.replaceChildren();
}

export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  mount(el, h('div', { class: `toast ${kind}` }, message));
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.replaceChildren(), kind === 'info' ? 3000 : 8000);
}

/** Call fn at most once per `ms`, always with the latest call honoured (trailing edge). */
export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  const call = (...args) => {
    const wait = Math.max(0, last + ms - Date.now());
    clearTimeout(timer);
    timer = setTimeout(() => { last = Date.now(); fn(...args); }, wait);
  };
  // A page cancels its pending calls when it is left: a late one would act on the next page.
  call.cancel = () => clearTimeout(timer);
  return call;
}

/** Record (once per page load) when a page's main content is in the DOM and the next frame starts: the
 * benchmark reads these marks as "first meaningful paint". */
export function markReady(name) {
  const mark = `tunelab:${name}`;
  if (performance.getEntriesByName(mark).length) return;
  requestAnimationFrame(() => { if (!performance.getEntriesByName(mark).length) performance.mark(mark); });
}
