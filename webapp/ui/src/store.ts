/** What the browser remembers: the draft being edited, recent runs, and the chosen theme. */

export interface Draft {
  language: string;
  /** Source per language, so switching languages and back keeps each program. */
  sources: Record<string, string>;
  stdin: string;
  args: string;
  limits: Record<string, string>;
}

export interface HistoryEntry {
  readonly id: string;
  readonly language: string;
  readonly createdAt: string;
  readonly firstLine: string;
  verdict: string | null;
}

const DRAFT_KEY = 'remcode:draft';
const HISTORY_KEY = 'remcode:history';
const THEME_KEY = 'remcode:theme';
const HISTORY_LIMIT = 30;

function read(key: string): unknown {
  try {
    const text = localStorage.getItem(key);
    return text === null ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled (private mode): the page still works, it just forgets.
  }
}

function record(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function loadDraft(): Draft {
  const raw = read(DRAFT_KEY);
  const d = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  return {
    language: typeof d['language'] === 'string' ? d['language'] : '',
    sources: record(d['sources']),
    stdin: typeof d['stdin'] === 'string' ? d['stdin'] : '',
    args: typeof d['args'] === 'string' ? d['args'] : '',
    limits: record(d['limits']),
  };
}

export function saveDraft(draft: Draft): void {
  write(DRAFT_KEY, draft);
}

export function loadHistory(): HistoryEntry[] {
  const raw = read(HISTORY_KEY);
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (e): e is HistoryEntry =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as HistoryEntry).id === 'string' &&
      typeof (e as HistoryEntry).language === 'string',
  );
}

export function rememberRun(entry: HistoryEntry): void {
  const list = loadHistory().filter((e) => e.id !== entry.id);
  list.unshift(entry);
  write(HISTORY_KEY, list.slice(0, HISTORY_LIMIT));
}

export function updateRunVerdict(id: string, verdict: string | null): void {
  const list = loadHistory();
  const entry = list.find((e) => e.id === id);
  if (!entry || entry.verdict === verdict) return;
  entry.verdict = verdict;
  write(HISTORY_KEY, list);
}

export function clearHistory(): void {
  write(HISTORY_KEY, []);
}

export type Theme = 'light' | 'dark';

export function savedTheme(): Theme | null {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return t === 'light' || t === 'dark' ? t : null;
  } catch {
    return null;
  }
}

export function saveTheme(theme: Theme): void {
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // see write()
  }
}
