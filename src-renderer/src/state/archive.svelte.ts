/**
 * Archive view state: the open archive's health (path, schema version, size, runs, integrity
 * check), opening another archive, importing (merging) one, and exporting selected runs. Paths
 * are on the machine that runs the lab (in web mode, the server's).
 */
import { getClient } from '../lib/client.ts';
import { saveText } from '../lib/download.ts';
import type { Results, RunRow } from '../../../src-main/contract/index.ts';

const RECENT_KEY = 'dplab.archive.recent';

/** Outcome line of an action, shown under it. */
export interface Outcome {
  ok: boolean;
  text: string;
}

/** Archive view state. */
export class ArchiveState {
  info = $state.raw<Results['archive.info'] | null>(null);
  checking = $state(false);
  busy = $state<string | null>(null);
  openPath = $state('');
  importPath = $state('');
  openOutcome = $state<Outcome | null>(null);
  importOutcome = $state<Outcome | null>(null);
  exportOutcome = $state<Outcome | null>(null);
  infoError = $state<string | null>(null);
  runs = $state.raw<RunRow[]>([]);
  selected = $state<string[]>([]);
  format = $state<'csv' | 'json'>('csv');
  what = $state<'runs' | 'metrics' | 'spectra'>('runs');
  recent = $state<string[]>(readRecent());

  /** Reloads the archive's info (and the integrity check when asked) and its runs. */
  async refresh(check = false): Promise<void> {
    if (check) this.checking = true;
    try {
      const c = await getClient();
      const [info, runs] = await Promise.all([c.request('archive.info', { check }), c.request('runs.list', { limit: 100000 })]);
      this.info = check || !this.info || this.info.path !== info.path ? info : { ...info, integrity: this.info.integrity };
      this.runs = runs;
      this.selected = this.selected.filter((id) => runs.some((r) => r.id === id));
      this.infoError = null;
    } catch (e) {
      this.infoError = `Could not read the archive: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      this.checking = false;
    }
  }

  /** Switches the lab to another archive file (created when missing). */
  async open(): Promise<void> {
    const path = this.openPath.trim();
    if (!path) return;
    this.busy = 'open';
    try {
      const c = await getClient();
      const r = await c.request('archive.open', { path });
      this.openOutcome = { ok: true, text: `Now using ${r.path}.` };
      // Outcomes of the previous archive no longer describe what is shown.
      this.importOutcome = null;
      this.exportOutcome = null;
      this.remember(r.path);
      this.info = null;
      await this.refresh();
    } catch (e) {
      this.openOutcome = { ok: false, text: `Could not open ${path}: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      this.busy = null;
    }
  }

  /** Merges another archive's runs into this one (runs already present are skipped). */
  async import(): Promise<void> {
    const path = this.importPath.trim();
    if (!path) return;
    this.busy = 'import';
    try {
      const c = await getClient();
      const r = await c.request('archive.import', { path });
      this.importOutcome = { ok: true, text: `Imported ${r.added} run${r.added === 1 ? '' : 's'} from ${path}${r.skipped ? `; ${r.skipped} already here, skipped` : ''}.` };
      await this.refresh();
    } catch (e) {
      this.importOutcome = { ok: false, text: `Could not import ${path}: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      this.busy = null;
    }
  }

  /**
   * Exports the selected runs and saves the file: streamed where the transport can (web mode's
   * download, the desktop's save dialog; no size limit), else as one runs.export reply.
   */
  async export(): Promise<void> {
    if (this.selected.length === 0) return;
    this.busy = 'export';
    const n = `${this.selected.length} run${this.selected.length === 1 ? '' : 's'}`;
    try {
      const c = await getClient();
      const args = { runIds: this.selected, format: this.format, what: this.what };
      if (c.downloadExport) {
        const r = await c.downloadExport(args);
        // A closed save dialog is the user's choice, not a failure: said plainly, no error shown.
        this.exportOutcome = r.cancelled ? { ok: true, text: 'Export cancelled; nothing was saved.' } : { ok: true, text: `Saved ${r.filename} (${n}, ${formatBytes(r.bytes)}).` };
        return;
      }
      const r = await c.request('runs.export', args);
      saveText(r.filename, r.content, r.mime);
      this.exportOutcome = { ok: true, text: `Saved ${r.filename} (${n}, ${r.content.length.toLocaleString()} characters).` };
    } catch (e) {
      this.exportOutcome = { ok: false, text: `Export failed: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      this.busy = null;
    }
  }

  private remember(path: string): void {
    this.recent = [path, ...this.recent.filter((p) => p !== path)].slice(0, 8);
    try {
      localStorage.setItem(RECENT_KEY, JSON.stringify(this.recent));
    } catch {
      // Storage may be unavailable (private mode); the list then lasts for the session.
    }
  }
}

function readRecent(): string[] {
  try {
    const v = JSON.parse(globalThis.localStorage?.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Human size of a byte count. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** The app's archive state. */
export const archive = new ArchiveState();
