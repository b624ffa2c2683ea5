/** Permanent links and the "Copy link" button. */
import { h } from './dom.js';

export function permalink(id: string): string {
  return `/s/${encodeURIComponent(id)}`;
}

export function copyLinkButton(id: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'copy-link' }, 'Copy link');
  const announce = h('span', { class: 'visually-hidden', role: 'status' });
  button.addEventListener('click', () => {
    const url = new URL(permalink(id), location.origin).href;
    const done = (text: string): void => {
      button.textContent = text;
      button.append(announce);
      announce.textContent = text;
      window.setTimeout(() => (button.textContent = 'Copy link'), 2000);
    };
    if (navigator.clipboard?.writeText) {
      navigator.clipboard.writeText(url).then(
        () => done('Copied'),
        () => done(`Copy failed: ${url}`),
      );
    } else {
      done(url);
    }
  });
  return button;
}
