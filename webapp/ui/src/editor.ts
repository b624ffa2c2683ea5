/** The CodeMirror 6 editor, with highlighting colours taken from CSS variables so both themes apply. */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from '@codemirror/view';
import { tags as t } from '@lezer/highlight';
import { loadMode } from './modes.js';

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword], color: 'var(--hl-keyword)' },
  { tag: [t.string, t.special(t.string), t.regexp, t.character], color: 'var(--hl-string)' },
  { tag: [t.number, t.bool, t.null, t.atom], color: 'var(--hl-number)' },
  { tag: [t.comment, t.lineComment, t.blockComment], color: 'var(--hl-comment)', fontStyle: 'italic' },
  {
    tag: [t.function(t.variableName), t.function(t.propertyName), t.definition(t.function(t.variableName))],
    color: 'var(--hl-function)',
  },
  { tag: [t.typeName, t.className, t.namespace, t.standard(t.variableName)], color: 'var(--hl-type)' },
  { tag: [t.meta, t.processingInstruction, t.annotation], color: 'var(--hl-meta)' },
  { tag: t.invalid, color: 'var(--danger)' },
]);

export interface Editor {
  readonly view: EditorView;
  getText(): string;
  setText(text: string): void;
  setMode(mode: string | null): Promise<void>;
}

export interface EditorOptions {
  readonly parent: HTMLElement;
  readonly text: string;
  readonly label: string;
  readonly readOnly?: boolean;
  readonly onChange?: (text: string) => void;
  readonly onRun?: () => void;
}

export function createEditor(options: EditorOptions): Editor {
  const language = new Compartment();
  let modeRequest = 0;
  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    drawSelection(),
    highlightActiveLine(),
    bracketMatching(),
    syntaxHighlighting(highlight),
    language.of([]),
    // Tab is left to the browser so keyboard users can move past the editor; Mod-Enter runs.
    keymap.of([
      { key: 'Mod-Enter', run: () => (options.onRun?.(), true) },
      ...defaultKeymap,
      ...historyKeymap,
    ]),
    EditorView.contentAttributes.of({ 'aria-label': options.label }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) options.onChange?.(update.state.doc.toString());
    }),
  ];
  if (options.readOnly) extensions.push(EditorState.readOnly.of(true), EditorView.editable.of(false));
  else extensions.push(history(), indentOnInput());
  const view = new EditorView({ parent: options.parent, doc: options.text, extensions });
  return {
    view,
    getText: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    async setMode(mode) {
      const request = ++modeRequest;
      const extension = await loadMode(mode);
      // A slower load for an earlier choice must not replace a later one.
      if (request === modeRequest) view.dispatch({ effects: language.reconfigure(extension) });
    },
  };
}
