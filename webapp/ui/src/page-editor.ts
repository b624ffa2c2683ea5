/** The editor page (`/`): write code, pick a language, run it and watch the result in place. */
import { ApiError, createSubmission, listLanguages, type Language } from './api.js';
import { append, h } from './dom.js';
import { createEditor } from './editor.js';
import { modeName } from './modes.js';
import { ResultPanel } from './result.js';
import { fallbackStarter } from './starters.js';
import { loadDraft, rememberRun, saveDraft, updateRunVerdict } from './store.js';
import { splitArgs } from './text.js';
import { watchSubmission } from './watch.js';
import { copyLinkButton, permalink } from './share.js';

const LIMIT_FIELDS = [
  { name: 'cpu_time', label: 'CPU time', hint: 'for example 2s or 500ms' },
  { name: 'wall_time', label: 'Wall time', hint: 'for example 5s' },
  { name: 'memory', label: 'Memory', hint: 'for example 256MiB' },
] as const;

function starterFor(lang: Language | undefined): string {
  if (!lang) return '';
  return lang.starter || fallbackStarter(modeName(lang.editorMode, lang.id));
}

export function editorPage(main: HTMLElement): void {
  const draft = loadDraft();
  let languages: Language[] = [];
  let current: Language | undefined;
  let running = false;
  let stopWatching: (() => void) | undefined;

  const select = h(
    'select',
    { id: 'language', name: 'language', disabled: true },
    h('option', {}, 'Loading languages…'),
  );
  const runButton = h(
    'button',
    { type: 'submit', id: 'run', class: 'primary', 'aria-keyshortcuts': 'Control+Enter Meta+Enter' },
    'Run',
    h('kbd', { 'aria-hidden': 'true' }, navigator.platform.startsWith('Mac') ? '⌘↵' : 'Ctrl+↵'),
  );
  const editorHost = h('div', { class: 'editor', id: 'editor' });
  const stdin = h('textarea', { id: 'stdin', name: 'stdin', rows: '4', spellcheck: 'false' });
  stdin.value = draft.stdin;
  const args = h('input', {
    id: 'args',
    name: 'args',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'args-hint',
  });
  args.value = draft.args;
  const limitInputs = LIMIT_FIELDS.map((f) => {
    const input = h('input', {
      id: `limit-${f.name}`,
      name: f.name,
      type: 'text',
      autocomplete: 'off',
      placeholder: f.hint,
      'aria-describedby': 'limits-hint',
    });
    input.value = draft.limits[f.name] ?? '';
    return { field: f, input };
  });
  const formError = h('p', { class: 'form-error', role: 'alert', id: 'form-error', hidden: true });
  // A language only a pool at zero serves is still offered; say why its first run takes longer.
  const coldNote = h('p', { class: 'hint', id: 'cold-note', role: 'status', hidden: true });
  const panel = new ResultPanel();
  const share = h('div', { class: 'share', hidden: true });

  const persist = (): void => {
    if (current) draft.sources[current.id] = editor.getText();
    draft.language = current?.id ?? draft.language;
    draft.stdin = stdin.value;
    draft.args = args.value;
    draft.limits = Object.fromEntries(
      limitInputs.filter((l) => l.input.value.trim() !== '').map((l) => [l.field.name, l.input.value.trim()]),
    );
    saveDraft(draft);
  };
  let saveTimer: number | undefined;
  const persistSoon = (): void => {
    window.clearTimeout(saveTimer);
    saveTimer = window.setTimeout(persist, 300);
  };
  window.addEventListener('pagehide', persist);

  const form = h('form', { class: 'run-form', id: 'run-form', 'aria-label': 'Program' });
  const run = (): void => {
    form.requestSubmit();
  };
  const editor = createEditor({
    parent: editorHost,
    text: '',
    label: 'Code',
    onChange: persistSoon,
    onRun: run,
  });

  const chooseLanguage = (lang: Language | undefined): void => {
    if (current) draft.sources[current.id] = editor.getText();
    current = lang;
    if (!lang) return;
    select.value = lang.id;
    coldNote.hidden = !lang.cold;
    coldNote.textContent = lang.cold
      ? `No executor for ${lang.name} is running right now. One starts when you press Run, so the first run waits for it (usually a few seconds).`
      : '';
    const showsStarter = draft.sources[lang.id] === undefined;
    editor.setText(draft.sources[lang.id] ?? starterFor(lang));
    // The starter reads a line: with an empty stdin box its first run would fail (Python's EOFError),
    // so the input it expects goes in, never over anything the person typed.
    if (showsStarter && stdin.value === '' && lang.starterStdin) stdin.value = lang.starterStdin;
    void editor.setMode(modeName(lang.editorMode, lang.id));
    persist();
  };

  select.addEventListener('change', () => chooseLanguage(languages.find((l) => l.id === select.value)));
  for (const el of [stdin, args, ...limitInputs.map((l) => l.input)])
    el.addEventListener('input', persistSoon);

  const showError = (message: string): void => {
    formError.textContent = message;
    formError.hidden = false;
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (running) return;
    formError.hidden = true;
    if (!current) {
      showError('No language is selected yet. Wait for the language list to load, or reload the page.');
      return;
    }
    persist();
    const language = current;
    const source = editor.getText();
    running = true;
    runButton.disabled = true;
    stopWatching?.();
    share.hidden = true;
    panel.phase('sending');
    // On a phone the result sits below the form; bring it into view without moving a visible one.
    if (panel.element.getBoundingClientRect().top > window.innerHeight * 0.6) {
      panel.element.scrollIntoView({ block: 'start', behavior: 'smooth' });
    }
    performance.clearMarks();
    const limits = draft.limits;
    createSubmission({
      language: language.id,
      source,
      stdin: stdin.value,
      args: splitArgs(args.value),
      limits,
    })
      .then((id) => {
        rememberRun({
          id,
          language: language.name,
          createdAt: new Date().toISOString(),
          firstLine:
            source
              .split('\n')
              .find((l) => l.trim() !== '')
              ?.trim()
              .slice(0, 80) ?? '',
          verdict: null,
        });
        share.replaceChildren(
          h('span', { class: 'label' }, 'Permanent link:'),
          h('a', { href: permalink(id), class: 'permalink' }, `${location.host}${permalink(id)}`),
          copyLinkButton(id),
        );
        share.hidden = false;
        panel.phase('queued');
        stopWatching = watchSubmission(
          id,
          {
            phase: (p) => panel.phase(p),
            output: (stream, text) => panel.output(stream, text),
            done: (sub) => {
              panel.show(sub);
              updateRunVerdict(id, sub.verdict);
              finish();
              // The next frame is when the result is on screen; the e2e test reads this mark.
              requestAnimationFrame(() => performance.mark('remcode:result-painted'));
            },
            failed: (message) => {
              panel.error(message);
              finish();
            },
          },
          'base64',
        );
      })
      .catch((error: unknown) => {
        panel.error(
          error instanceof ApiError
            ? error.message
            : 'Something went wrong in this page. Reload it and try again.',
        );
        finish();
      });
  });

  function finish(): void {
    running = false;
    runButton.disabled = false;
  }

  // Ctrl/Cmd+Enter from any field of the form, not only the editor.
  form.addEventListener('keydown', (event) => {
    // The editor handles its own Mod-Enter and marks the event as handled.
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.defaultPrevented) {
      event.preventDefault();
      run();
    }
  });

  append(
    form,
    h('div', { class: 'toolbar' }, h('label', { for: 'language' }, 'Language'), select, runButton),
    coldNote,
    h('div', { class: 'field' }, h('span', { class: 'label', id: 'code-label' }, 'Code'), editorHost),
    h('div', { class: 'field' }, h('label', { for: 'stdin' }, 'Input (stdin)'), stdin),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'args' }, 'Command-line arguments'),
      args,
      h(
        'p',
        { class: 'hint', id: 'args-hint' },
        'Separated by spaces; use quotes to keep spaces inside one argument. Nothing is expanded.',
      ),
    ),
    h(
      'details',
      { class: 'limits' },
      h('summary', {}, 'Limits'),
      h(
        'p',
        { class: 'hint', id: 'limits-hint' },
        'Leave empty for the defaults. Values above the server maximum are lowered to it.',
      ),
      h(
        'div',
        { class: 'limit-fields' },
        ...limitInputs.map((l) =>
          h('div', { class: 'field' }, h('label', { for: l.input.id }, l.field.label), l.input),
        ),
      ),
    ),
    formError,
  );
  main.replaceChildren(
    h('h1', { class: 'visually-hidden' }, 'New run'),
    h('div', { class: 'workspace' }, form, h('div', { class: 'result-column' }, share, panel.element)),
  );
  if (Object.keys(draft.limits).length > 0) form.querySelector('details')?.setAttribute('open', '');

  listLanguages()
    .then((list) => {
      languages = list.filter((l) => l.available);
      if (languages.length === 0) {
        select.replaceChildren(h('option', {}, 'No languages installed'));
        showError(
          'The service has no languages installed yet. Wait a moment for the executors to start, then reload the page.',
        );
        return;
      }
      select.replaceChildren(...languages.map((l) => h('option', { value: l.id }, optionLabel(l))));
      select.disabled = false;
      chooseLanguage(
        languages.find((l) => l.id === draft.language) ??
          languages.find((l) => l.id === 'python') ??
          languages[0],
      );
    })
    .catch((error: unknown) => {
      select.replaceChildren(h('option', {}, 'Languages unavailable'));
      showError(
        error instanceof ApiError
          ? `The list of languages could not be loaded. ${error.message}`
          : 'The list of languages could not be loaded. Reload the page.',
      );
    });
}

/** The list entry: name, version, and whether its first run waits for an executor to start. */
function optionLabel(l: Language): string {
  const named = l.version ? `${l.name} · ${l.version}` : l.name;
  return l.cold ? `${named} (starts on demand)` : named;
}
