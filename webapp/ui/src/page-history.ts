/** Recent runs made from this browser, newest first. Kept only in localStorage. */
import { append, h } from './dom.js';
import { verdictText } from './result.js';
import { permalink } from './share.js';
import { clearHistory, loadHistory } from './store.js';

export function historyPage(main: HTMLElement): void {
  const render = (): void => {
    const runs = loadHistory();
    const clearButton = h('button', { type: 'button' }, 'Clear history');
    clearButton.addEventListener('click', () => {
      clearHistory();
      render();
      main.focus();
    });
    main.replaceChildren();
    append(
      main,
      h('h1', {}, 'Your recent runs'),
      h(
        'p',
        { class: 'hint' },
        'Kept in this browser only. The runs themselves stay on the server until its retention period ends.',
      ),
      runs.length === 0
        ? h('p', {}, 'No runs yet. ', h('a', { href: '/' }, 'Write and run some code'), '.')
        : h(
            'ol',
            { class: 'history' },
            ...runs.map((run) =>
              h(
                'li',
                {},
                h('a', { href: permalink(run.id) }, run.firstLine || '(empty program)'),
                h(
                  'span',
                  { class: 'meta' },
                  `${run.language} · ${new Date(run.createdAt).toLocaleString()} · ${run.verdict ? verdictText(run.verdict) : 'not finished when last seen'}`,
                ),
              ),
            ),
          ),
      runs.length > 0 ? clearButton : null,
    );
  };
  render();
}
