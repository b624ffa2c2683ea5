/** Service status: queue depth, running jobs, executors online and installed languages, refreshed live. */
import { ApiError, getStatus, listLanguages } from './api.js';
import { append, h } from './dom.js';

const REFRESH_MS = 3000;

export function statusPage(main: HTMLElement): void {
  const figures = h('dl', { class: 'facts status-figures', 'aria-live': 'polite' });
  const note = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const updated = h('p', { class: 'hint' });
  const languages = h('ul', { class: 'languages' });
  main.replaceChildren(
    h('h1', {}, 'Service status'),
    note,
    figures,
    updated,
    h('h2', {}, 'Installed languages'),
    languages,
  );

  const show = (name: string, value: string, key: string): HTMLElement =>
    h('div', { class: 'fact', 'data-fact': key }, h('dt', {}, name), h('dd', {}, value));

  const refresh = async (): Promise<void> => {
    try {
      const s = await getStatus();
      const n = (v: number | null): string => (v === null ? '–' : String(v));
      figures.replaceChildren(
        show('Waiting in queue', n(s.queueDepth), 'queue-depth'),
        show('Running now', n(s.running), 'running'),
        show('Executors online', n(s.executorsOnline), 'executors'),
        show('Busy slots', s.slots === null ? n(s.busySlots) : `${n(s.busySlots)} of ${s.slots}`, 'slots'),
        show(
          'Oldest waiting job',
          s.oldestJobAgeSeconds === null ? '–' : `${s.oldestJobAgeSeconds.toFixed(1)} s`,
          'oldest',
        ),
      );
      note.hidden = true;
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} seconds.`;
    } catch (error) {
      note.textContent =
        error instanceof ApiError
          ? `The status could not be read. ${error.message}`
          : 'The status could not be read.';
      note.hidden = false;
    }
  };
  void refresh();
  const timer = window.setInterval(() => {
    if (!main.isConnected) window.clearInterval(timer);
    else if (document.visibilityState === 'visible') void refresh();
  }, REFRESH_MS);

  listLanguages()
    .then((list) => {
      languages.replaceChildren();
      for (const l of list) {
        append(
          languages,
          h(
            'li',
            {},
            h('strong', {}, l.name),
            ' ',
            l.available ? (l.version ?? 'version unknown') : h('span', { class: 'meta' }, 'not installed'),
            l.cold && h('span', { class: 'meta' }, ' · no executor running, one starts on the first run'),
          ),
        );
      }
      if (list.length === 0)
        append(languages, h('li', {}, 'None yet: the executors publish their languages when they start.'));
    })
    .catch(() => append(languages, h('li', {}, 'The language list could not be loaded.')));
}
