/**
 * The setup being composed: a plain JSON draft edited field by field, validated on every change by
 * the same schema as the CLI (`checkSetup`), presets from the lab, setups saved in the browser, and
 * the quick-test shrink. One instance, so "duplicate and edit" from the runs table lands here.
 */
import { defaultSetup, canonicalJson, setAtPath, getAtPath, type SetupIssue } from '../../../src-main/common/setup.ts';
import type { SetupPreset } from '../../../src-main/common/presets.ts';
import { validateDraft, issuesByPath, quickTest, undoQuickTest, isQuickTest, withPredictorKind, withEma, withDataset, type UiPredictorKind } from '../lib/setupModel.ts';
import { defaultRunName } from '../lib/runName.ts';
import { lab } from './lab.svelte.ts';
import { toasts } from './toasts.svelte.ts';

/** A setup kept in the browser under a name. */
export interface SavedSetup {
  name: string;
  savedAt: number;
  setup: unknown;
}

/** Blocks of the diagram; each selects the fields shown in the inspector. */
export type Block = 'encoder' | 'projector' | 'predictor' | 'target' | 'stopgrad' | 'loss' | 'data';

const SAVED_KEY = 'dplab.savedSetups';

type Draft = Record<string, unknown>;

export class ComposerState {
  draft = $state.raw<Draft>(defaultSetup() as unknown as Draft);
  presets = $state.raw<SetupPreset[]>([]);
  presetId = $state<string | null>(null);
  selected = $state<Block>('predictor');
  quick = $state(false);
  /** The name typed for the next run only ('' = the default name below); cleared once it starts. */
  runName = $state('');
  /** The setup the draft started from (preset, loaded or pasted setup): the default name lists what differs from it. */
  base = $state.raw<Draft>(defaultSetup() as unknown as Draft);
  saved = $state.raw<SavedSetup[]>(loadSaved());
  starting = $state(false);
  presetsError = $state<string | null>(null);
  private beforeQuick: Draft | null = null;
  /** Parameter blocks of generated datasets switched away from (`data.invariance` → its values), restored on switching back. */
  private datasetStash = new Map<string, unknown>();

  readonly validation = $derived(validateDraft(this.draft));
  readonly issues = $derived<SetupIssue[]>(this.validation.issues);
  readonly byPath = $derived(issuesByPath(this.validation.issues));
  readonly valid = $derived(this.validation.setup !== null);
  /** The name a run gets when none is typed: predictor kind, fields changed from the base, seed. */
  readonly defaultName = $derived(defaultRunName(this.validation.setup ?? this.draft, this.quick ? quickTest(this.base) : this.base));

  /** Fetches the presets over the client (once; again after an error). */
  async loadPresets(): Promise<void> {
    if (this.presets.length) return;
    try {
      this.presets = await lab.request('presets.list', {});
      this.presetsError = null;
    } catch (e) {
      this.presetsError = e instanceof Error ? e.message : String(e);
    }
  }

  /** Sets one field (dotted path); `undefined` removes an optional field. */
  set(path: string, value: unknown): void {
    const next = setAtPath(this.draft, path, value);
    if (value === undefined) {
      const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
      const key = path.slice(path.lastIndexOf('.') + 1);
      const obj = parent ? (getAtPath(next, parent) as Record<string, unknown>) : (next as Record<string, unknown>);
      if (obj && typeof obj === 'object') delete obj[key];
    }
    this.draft = next;
    this.presetId = null;
  }

  /** Value at a path of the draft. */
  get(path: string): unknown {
    return getAtPath(this.draft, path);
  }

  setPredictorKind(kind: UiPredictorKind): void {
    this.draft = withPredictorKind(this.draft, kind);
    this.presetId = null;
  }

  /** Chooses the dataset; a generated one gets its parameter block (see `withDataset`). */
  setDataset(name: string): void {
    this.draft = withDataset(this.draft, name, this.datasetStash);
    this.presetId = null;
  }

  setEma(on: boolean): void {
    this.draft = withEma(this.draft, on);
    this.presetId = null;
  }

  /** Starts from a preset: schema defaults + the preset's fields (+ the quick shrink when on). */
  applyPreset(id: string): void {
    const p = this.presets.find((x) => x.id === id);
    if (!p) return;
    const full = validateDraft(p.setup).setup ?? { ...defaultSetup(), ...(p.setup as object) };
    let d = structuredClone(full) as unknown as Draft;
    if (this.quick) {
      this.beforeQuick = d;
      d = quickTest(d);
    }
    this.draft = d;
    this.base = structuredClone(full) as unknown as Draft;
    this.presetId = id;
    this.datasetStash.clear();
  }

  /** Turns the quick-test shrink on (remembering what it replaces) or off (restoring it). */
  setQuick(on: boolean): void {
    if (on === this.quick) return;
    this.quick = on;
    if (on) {
      this.beforeQuick = this.draft;
      this.draft = quickTest(this.draft);
    } else {
      this.draft = undoQuickTest(this.draft, this.beforeQuick ?? defaultSetup());
      this.beforeQuick = null;
    }
  }

  /**
   * Replaces the draft (duplicate-and-edit, load, pasted JSON). The setup's own `name` wins over
   * `name`; without either the run takes its default name.
   */
  load(setup: unknown, name = ''): void {
    const raw = structuredClone(setup ?? {}) as Draft;
    const own = typeof raw.name === 'string' ? raw.name.trim() : '';
    delete raw.name;
    // A valid partial setup shows with its defaults filled in; an invalid one as written, with its issues.
    const full = validateDraft(raw).setup;
    this.draft = full ? (structuredClone(full) as unknown as Draft) : raw;
    this.base = this.draft;
    this.presetId = null;
    // A quick run duplicated stays a quick test (turning it off then gives the default sections).
    this.quick = isQuickTest(this.draft);
    this.beforeQuick = null;
    this.datasetStash.clear();
    this.runName = own || name;
  }

  /** The validated setup as JSON for `dplab run <file>` (sorted keys, indented). */
  json(): string {
    const s = this.validation.setup ?? this.draft;
    const name = this.runName.trim();
    return JSON.stringify(JSON.parse(canonicalJson(name ? { ...s, name } : s)), null, 2);
  }

  /** Parses pasted JSON into the draft; returns an error message or null. */
  loadJson(text: string): string | null {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      return `not JSON: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) return 'a setup is a JSON object';
    this.load(v, this.runName);
    return null;
  }

  /** Saves the current draft under a name (replacing one of the same name). */
  save(name: string): void {
    const n = name.trim();
    if (!n) return;
    const entry: SavedSetup = { name: n, savedAt: Date.now(), setup: structuredClone(this.draft) };
    this.saved = [entry, ...this.saved.filter((s) => s.name !== n)];
    persist(this.saved);
    toasts.info(`Setup "${n}" saved`);
  }

  removeSaved(name: string): void {
    this.saved = this.saved.filter((s) => s.name !== name);
    persist(this.saved);
  }

  /** Starts a run of the valid draft; returns its id, or null (with the reason shown) on failure. */
  async start(): Promise<string | null> {
    const setup = this.validation.setup;
    if (!setup || this.starting) return null;
    this.starting = true;
    try {
      const name = this.runName.trim() || this.defaultName;
      const r = await lab.tryRequest('runs.start', { setup: setup as unknown as Record<string, unknown>, name }, 'Could not start the run');
      if (r) {
        toasts.info(`Run "${name}" queued`);
        // A typed name is for this run only: the next run is named from its own setup.
        this.runName = '';
      }
      return r?.runId ?? null;
    } finally {
      this.starting = false;
    }
  }
}

function loadSaved(): SavedSetup[] {
  try {
    const raw = globalThis.localStorage?.getItem(SAVED_KEY);
    const v = raw ? (JSON.parse(raw) as unknown) : [];
    return Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object' && typeof x.name === 'string') as SavedSetup[]) : [];
  } catch {
    return [];
  }
}

function persist(list: SavedSetup[]): void {
  try {
    globalThis.localStorage?.setItem(SAVED_KEY, JSON.stringify(list));
  } catch (e) {
    toasts.error(`Could not save setups in this browser: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The app's composer. */
export const composer = new ComposerState();
