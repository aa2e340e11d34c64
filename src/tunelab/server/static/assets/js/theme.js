// Light or dark: the system's prefers-color-scheme unless the user chose one with the toggle (kept in
// localStorage). The choice lives on <html data-theme>, which the CSS variables and the charts read.

const KEY = 'tunelab.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');

export function currentTheme() {
  const chosen = localStorage.getItem(KEY);
  if (chosen === 'dark' || chosen === 'light') return chosen;
  return media.matches ? 'dark' : 'light';
}

function apply() {
  const theme = currentTheme();
  document.documentElement.dataset.theme = theme;
  const button = document.getElementById('theme-toggle');
  if (button) {
    button.textContent = theme === 'dark' ? '☀ light' : '☾ dark';
    button.setAttribute('aria-label', `Switch to ${theme === 'dark' ? 'light' : 'dark'} mode`);
  }
}

/** Apply the theme now and whenever it changes; `onChange` redraws (charts take their colours at init). */
export function initTheme(onChange) {
  apply();
  const button = document.getElementById('theme-toggle');
  if (button) {
    button.addEventListener('click', () => {
      localStorage.setItem(KEY, currentTheme() === 'dark' ? 'light' : 'dark');
      apply();
      onChange();
    });
  }
  media.addEventListener('change', () => { if (!localStorage.getItem(KEY)) { apply(); onChange(); } });
}
