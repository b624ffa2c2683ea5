/** The permanent page of one submission (`/s/:id`): its code, input and result, live while it runs. */
import { ApiError, getSource, getSubmission, listLanguages, type Language } from './api.js';
import { append, h } from './dom.js';
import { createEditor } from './editor.js';
import { modeName } from './modes.js';
import { ResultPanel } from './result.js';
import { copyLinkButton } from './share.js';
import { loadDraft, saveDraft, updateRunVerdict } from './store.js';
import { cleanTerminalText, joinArgs } from './text.js';
import { watchSubmission } from './watch.js';

export function submissionPage(main: HTMLElement, id: string): void {
  const heading = h('h1', {}, 'Run ', h('code', {}, id.slice(0, 12)));
  const meta = h('p', { class: 'meta' });
  const actions = h('div', { class: 'actions' }, copyLinkButton(id));
  const codeHost = h('div', { class: 'editor readonly', id: 'code' });
  const inputs = h('div', { class: 'inputs' });
  const panel = new ResultPanel();
  const problem = h('p', { class: 'form-error', role: 'alert', hidden: true });
  main.replaceChildren(
    heading,
    meta,
    actions,
    problem,
    h(
      'div',
      { class: 'workspace' },
      h(
        'div',
        { class: 'source-column' },
        h(
          'section',
          { 'aria-labelledby': 'code-heading' },
          h('h2', { id: 'code-heading' }, 'Code'),
          codeHost,
        ),
        inputs,
      ),
      h('div', { class: 'result-column' }, panel.element),
    ),
  );

  const fail = (error: unknown): void => {
    problem.textContent =
      error instanceof ApiError
        ? error.message
        : 'This run could not be shown. Reload the page to try again.';
    problem.hidden = false;
  };

  const languages = listLanguages().catch((): Language[] => []);

  getSource(id)
    .then(async (src) => {
      const editor = createEditor({
        parent: codeHost,
        text: src.source,
        label: 'Code (read only)',
        readOnly: true,
      });
      const lang = (await languages).find((l) => l.id === src.language);
      void editor.setMode(modeName(lang?.editorMode ?? null, src.language));
      append(
        inputs,
        h(
          'section',
          { 'aria-labelledby': 'stdin-heading' },
          h('h2', { id: 'stdin-heading' }, 'Input (stdin)'),
          h(
            'pre',
            { tabindex: '0' },
            src.stdin === '' ? h('span', { class: 'empty' }, '(none)') : cleanTerminalText(src.stdin),
          ),
        ),
        src.args.length > 0
          ? h(
              'section',
              { 'aria-labelledby': 'args-heading' },
              h('h2', { id: 'args-heading' }, 'Command-line arguments'),
              h('pre', { tabindex: '0' }, joinArgs(src.args)),
            )
          : null,
      );
      const copy = h('button', { type: 'button', class: 'edit-copy' }, 'Edit a copy');
      copy.addEventListener('click', () => {
        const draft = loadDraft();
        draft.language = src.language;
        draft.sources[src.language] = src.source;
        draft.stdin = src.stdin;
        draft.args = joinArgs(src.args);
        saveDraft(draft);
        location.assign('/');
      });
      actions.append(copy);
    })
    .catch(fail);

  getSubmission(id)
    .then((sub) => {
      document.title = `Run ${id.slice(0, 12)} · RemCode`;
      // The result does not wait for the language list; only the language's display name does.
      void languages.then((list) => {
        const name = list.find((l) => l.id === sub.language)?.name ?? sub.language;
        meta.textContent = [
          name + (sub.version ? ` ${sub.version}` : ''),
          sub.createdAt ? new Date(sub.createdAt).toLocaleString() : '',
        ]
          .filter((x) => x !== '')
          .join(' · ');
      });
      if (sub.state === 'finished' || sub.state === 'cancelled') {
        panel.show(sub);
        return;
      }
      panel.phase(sub.state === 'running' ? 'running' : 'queued');
      watchSubmission(
        id,
        {
          phase: (p) => panel.phase(p),
          output: (stream, text) => panel.output(stream, text),
          done: (done) => {
            panel.show(done);
            updateRunVerdict(id, done.verdict);
          },
          failed: (message) => panel.error(message),
        },
        sub.encoding,
      );
    })
    .catch((error: unknown) => {
      fail(error);
      panel.element.hidden = true;
    });
}
