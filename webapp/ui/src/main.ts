/** Entry: picks the page for the URL and wires the theme toggle. Pages are plain DOM code. */
import './style.css';
import { editorPage } from './page-editor.js';
import { historyPage } from './page-history.js';
import { statusPage } from './page-status.js';
import { submissionPage } from './page-submission.js';
import { savedTheme, saveTheme, type Theme } from './store.js';

function effectiveTheme(): Theme {
  return savedTheme() ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

function setupTheme(): void {
  const button = document.getElementById('theme-toggle');
  if (!button) return;
  const label = (): void => {
    const other = effectiveTheme() === 'dark' ? 'light' : 'dark';
    button.textContent = other === 'dark' ? 'Dark theme' : 'Light theme';
    button.setAttribute('aria-label', `Switch to the ${other} theme`);
  };
  button.addEventListener('click', () => {
    const next: Theme = effectiveTheme() === 'dark' ? 'light' : 'dark';
    saveTheme(next);
    document.documentElement.dataset['theme'] = next;
    label();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', label);
  label();
}

function route(): void {
  const main = document.getElementById('main');
  if (!main) return;
  const path = location.pathname;
  const submission = /^\/s\/([^/]+)\/?$/.exec(path);
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (link.pathname === path) link.setAttribute('aria-current', 'page');
  }
  if (submission?.[1]) submissionPage(main, decodeURIComponent(submission[1]));
  else if (path === '/history') historyPage(main);
  else if (path === '/status') statusPage(main);
  else editorPage(main);
}

setupTheme();
route();
