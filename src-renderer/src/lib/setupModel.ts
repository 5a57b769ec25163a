/**
 * The composer's view of a setup: field descriptions read from the setup schema itself (type, range,
 * default, choices), so a new schema field needs little UI code, plus the few UI notions that are
 * not schema fields (the "symmetric linear" predictor kind, EMA on/off, the quick-test shrink).
 * Pure TS over `common/setup.ts` (browser-safe), imported by node:test too.
 */
import { PredictorSchema, canonicalJson, checkSetup, walkSetupSchema, getAtPath, setAtPath, isForbiddenPath, type Setup, type SetupIssue, type SetupSchemaField, type SetupSchemaNode } from '../../../src-main/common/setup.ts';
import { QUICK_SETUP } from '../../../src-main/common/presets.ts';
import { PREDICTOR_KINDS, PREDICTOR_LABELS, type PredictorKind } from '../../../src-main/common/predictors.ts';

/** What an editor needs to know about one setup field. */
export interface FieldInfo {
  path: string;
  type: 'number' | 'int' | 'boolean' | 'enum' | 'string' | 'array' | 'other';
  min?: number;
  max?: number;
  /** True when min/max themselves are not allowed (positive(), lt()). */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  options?: string[];
  default?: unknown;
  optional: boolean;
  /** The field's `.describe()` text in the schema (shown as its help), when it has one. */
  description?: string;
}

/** Each field path of the setup schema → its nodes, one per union branch that has it (from the schema's one walk). */
let fieldsByPath: Map<string, SetupSchemaField[]> | null = null;

/** The schema node of a dotted path and whether its parent requires it; for a union (`predictor`, `encoder`) the branch of `kind`. */
function nodeAt(path: string, kind: string): { node: SetupSchemaNode; required: boolean } | null {
  if (!fieldsByPath) {
    const byPath = new Map<string, SetupSchemaField[]>();
    walkSetupSchema((f) => {
      if (!byPath.has(f.path)) byPath.set(f.path, []);
      byPath.get(f.path)!.push(f);
    });
    fieldsByPath = byPath;
  }
  // A Map, not an object: a path from a dataset name cannot reach Object.prototype's members.
  const hit = fieldsByPath.get(path)?.find((f) => f.branches.every((b) => b.kind === kind));
  return hit ? { node: hit.node, required: hit.required } : null;
}

/** Bounds this large are the integer type's own, not a field's range. */
const bounded = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && Math.abs(v) < 1e12;

/** Describes a setup field from the schema (null when the path does not exist for this kind of its union). */
export function fieldInfo(path: string, predictorKind = 'directpred'): FieldInfo | null {
  const hit = nodeAt(path, predictorKind);
  if (!hit) return null;
  const { node } = hit;
  const alternatives = node.anyOf?.filter((b) => b.type !== 'null');
  const nullable = !!node.anyOf && alternatives!.length < node.anyOf.length;
  const inner = nullable && alternatives!.length === 1 ? { ...alternatives![0]!, default: node.default } : node;
  const info: FieldInfo = { path, type: 'other', default: inner.default, optional: nullable || (!hit.required && inner.default === undefined) };
  const description = node.description ?? inner.description;
  if (description) info.description = description;
  if (inner.type === 'number' || inner.type === 'integer') {
    info.type = inner.type === 'integer' ? 'int' : 'number';
    if (bounded(inner.exclusiveMinimum)) {
      info.min = inner.exclusiveMinimum;
      info.exclusiveMin = true;
    } else if (bounded(inner.minimum)) info.min = inner.minimum;
    if (bounded(inner.exclusiveMaximum)) {
      info.max = inner.exclusiveMaximum;
      info.exclusiveMax = true;
    } else if (bounded(inner.maximum)) info.max = inner.maximum;
  } else if (inner.type === 'boolean') info.type = 'boolean';
  else if (inner.enum) {
    info.type = 'enum';
    info.options = inner.enum.map(String);
  } else if (inner.type === 'string') info.type = 'string';
  else if (inner.type === 'array') info.type = 'array';
  else if (inner.anyOf && inner.anyOf.every((o) => o.const !== undefined)) {
    // A union of literals (e.g. channels 1 | 3) reads as an enum of their values.
    info.type = 'enum';
    info.options = inner.anyOf.map((o) => String(o.const));
  }
  return info;
}

/** The fields of an object group (`data.invariance`) in schema order, read off the schema so a new field needs no UI edit. */
export function groupFields(group: string): string[] {
  const hit = nodeAt(group, '');
  const props = hit?.node.properties ?? hit?.node.anyOf?.find((b) => b.properties)?.properties;
  return props ? Object.keys(props).map((k) => `${group}.${k}`) : [];
}

/**
 * The parameter group of a generated dataset: `data.<name>` when the setup schema has such a block
 * (`data.synthetic`, `data.invariance`), else null (imported and file datasets have none).
 */
export function datasetParamGroup(dataset: string): string | null {
  if (!/^[A-Za-z_]\w*$/.test(dataset) || isForbiddenPath(dataset)) return null;
  const group = `data.${dataset}`;
  return groupFields(group).length > 0 ? group : null;
}

/**
 * Chooses the dataset. The new dataset's parameter block is written out (what the user typed before,
 * kept in `stash`, else the schema's defaults), so the setup that is shown, saved and run records
 * the generator's parameters; the old dataset's block is moved to `stash`, so a run on another
 * dataset carries no parameters it does not use and flipping back loses nothing.
 */
export function withDataset<T>(draft: T, dataset: string, stash: Map<string, unknown>): T {
  const old = getAtPath(draft, 'data.dataset');
  let d = setAtPath(draft, 'data.dataset', dataset);
  const oldGroup = typeof old === 'string' && old !== dataset ? datasetParamGroup(old) : null;
  if (oldGroup) {
    const v = getAtPath(d, oldGroup);
    if (v !== undefined) {
      stash.set(oldGroup, structuredClone(v));
      delete (getAtPath(d, 'data') as Record<string, unknown>)[oldGroup.slice('data.'.length)];
    }
  }
  const group = datasetParamGroup(dataset);
  if (group && getAtPath(d, group) === undefined) {
    const defaults: Record<string, unknown> = {};
    for (const p of groupFields(group)) {
      const v = fieldInfo(p)?.default;
      if (v !== undefined) defaults[p.slice(group.length + 1)] = v;
    }
    d = setAtPath(d, group, structuredClone(stash.get(group) ?? defaults));
  }
  return d;
}

/** A hint such as "0 – 1" or "> 0, ≤ 10" for a numeric field. */
export function rangeHint(f: FieldInfo): string {
  if (f.type !== 'number' && f.type !== 'int') return '';
  const lo = f.min === undefined ? null : `${f.exclusiveMin ? '>' : '≥'} ${f.min}`;
  const hi = f.max === undefined ? null : `${f.exclusiveMax ? '<' : '≤'} ${f.max}`;
  if (lo && hi && !f.exclusiveMin && !f.exclusiveMax) return `${f.min} – ${f.max}`;
  return [lo, hi].filter(Boolean).join(', ');
}

/** The predictor kinds the composer offers: the registered kinds (common/predictors.ts), plus "symmetric linear" after linear. */
export const UI_PREDICTOR_KINDS: readonly { id: PredictorKind | 'symmetric'; label: string }[] = PREDICTOR_KINDS.flatMap(
  (k): { id: PredictorKind | 'symmetric'; label: string }[] =>
    k === 'linear' ? [{ id: k, label: PREDICTOR_LABELS[k] }, { id: 'symmetric', label: 'Symmetric linear' }] : [{ id: k, label: PREDICTOR_LABELS[k] }],
);
export type UiPredictorKind = PredictorKind | 'symmetric';

/** The UI kind of a setup's predictor ("symmetric" = linear with symmetric: true). */
export function uiPredictorKind(setup: unknown): UiPredictorKind {
  const p = getAtPath(setup, 'predictor') as { kind?: string; symmetric?: boolean } | undefined;
  const kind = p?.kind ?? 'directpred';
  if (kind === 'linear' && p?.symmetric) return 'symmetric';
  return (UI_PREDICTOR_KINDS.some((k) => k.id === kind) ? kind : 'directpred') as UiPredictorKind;
}

/**
 * Switches the predictor kind: the new kind's defaults from the schema, keeping knobs both kinds
 * share (bias, ρ, ε, freq) so flipping back and forth loses nothing the user typed.
 */
export function withPredictorKind<T>(setup: T, kind: UiPredictorKind): T {
  const old = (getAtPath(setup, 'predictor') ?? {}) as Record<string, unknown>;
  const schemaKind = kind === 'symmetric' ? 'linear' : kind;
  const fresh = PredictorSchema.parse({ kind: schemaKind }) as Record<string, unknown>;
  for (const k of Object.keys(fresh)) {
    if (k !== 'kind' && k !== 'symmetric' && k in old) fresh[k] = old[k];
  }
  if (schemaKind === 'linear') fresh.symmetric = kind === 'symmetric';
  return setAtPath(setup, 'predictor', fresh);
}

/** The knob fields of a predictor kind, in schema order (bias, hidden, ρ, ε, freq …). */
export function predictorKnobs(kind: UiPredictorKind): string[] {
  const schemaKind = kind === 'symmetric' ? 'linear' : kind;
  const opt = (PredictorSchema as unknown as { options: { shape: Record<string, unknown> & { kind: { value: string } } }[] }).options.find(
    (o) => o.shape.kind.value === schemaKind,
  );
  if (!opt) return [];
  return Object.keys(opt.shape).filter((k) => k !== 'kind' && k !== 'symmetric').map((k) => `predictor.${k}`);
}

/** EMA target on = method 'byol'; off = 'simsiam' (target = the online network). */
export function emaOn(setup: unknown): boolean {
  return getAtPath(setup, 'method') !== 'simsiam';
}

/**
 * Sets EMA on/off through the method field. Off, the target is the online network itself, so a
 * 'random' target initialisation (which SimSiam refuses) goes back to 'copy'.
 */
export function withEma<T>(setup: T, on: boolean): T {
  const s = setAtPath(setup, 'method', on ? 'byol' : 'simsiam');
  return !on && getAtPath(s, 'targetInit') !== undefined && getAtPath(s, 'targetInit') !== 'copy' ? setAtPath(s, 'targetInit', 'copy') : s;
}

/**
 * Shrinks a setup to the lab's one quick setup (`QUICK_SETUP`: tiny synthetic images, small encoder
 * and projector, 48 steps, seconds on a laptop CPU) while keeping the method, predictor and decay
 * choices — for trying a composition before committing hours to it.
 */
export function quickTest<T>(setup: T): T {
  let s = setup;
  s = setAtPath(s, 'data', structuredClone(QUICK_SETUP.data));
  s = setAtPath(s, 'encoder', structuredClone(QUICK_SETUP.encoder));
  s = setAtPath(s, 'projector', { ...QUICK_SETUP.projector });
  s = setAtPath(s, 'optim.batchSize', QUICK_SETUP.optim.batchSize);
  s = setAtPath(s, 'optim.maxSteps', QUICK_SETUP.optim.maxSteps);
  s = setAtPath(s, 'optim.epochs', QUICK_SETUP.optim.epochs);
  s = setAtPath(s, 'eval', structuredClone(QUICK_SETUP.eval));
  return s;
}

/** The sections `quickTest` replaces. */
export const QUICK_PATHS = ['data', 'encoder', 'projector', 'optim.batchSize', 'optim.maxSteps', 'optim.epochs', 'eval'];

/**
 * Whether a setup is already quick-test shaped (every section `quickTest` replaces equals the quick
 * setup's, defaults filled in): a duplicated quick run comes back to the composer with "Quick test" on.
 */
export function isQuickTest(setup: unknown): boolean {
  const full = validateDraft(setup).setup;
  const quick = full ? validateDraft(quickTest(structuredClone(full))).setup : null;
  if (!full || !quick) return false;
  return QUICK_PATHS.every((p) => canonicalJson(getAtPath(full, p) ?? null) === canonicalJson(getAtPath(quick, p) ?? null));
}

/**
 * Undoes the quick-test shrink: the replaced sections come back from `before` (the draft as it was
 * when quick test was turned on), while every other edit made since is kept.
 */
export function undoQuickTest<T>(draft: T, before: unknown): T {
  let d = draft;
  for (const p of QUICK_PATHS) {
    const v = getAtPath(before, p);
    if (v === undefined) {
      const dot = p.lastIndexOf('.');
      const parent = dot < 0 ? d : getAtPath(d, p.slice(0, dot));
      if (parent && typeof parent === 'object') {
        d = structuredClone(d);
        const obj = (dot < 0 ? d : getAtPath(d, p.slice(0, dot))) as Record<string, unknown>;
        delete obj[p.slice(dot + 1)];
      }
    } else d = setAtPath(d, p, structuredClone(v));
  }
  return d;
}

/** Issues grouped by field path; "" holds issues of the setup as a whole. */
export function issuesByPath(issues: readonly SetupIssue[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const i of issues) {
    // array element issues (encoder.widths[1]) belong to the array's editor
    const key = i.path.replace(/\[\d+\].*$/, '');
    const list = m.get(key) ?? [];
    list.push(i.message);
    m.set(key, list);
  }
  return m;
}

/** Validation result for the composer: the full setup when valid, the issues by field otherwise. */
export function validateDraft(draft: unknown): { setup: Setup | null; issues: SetupIssue[] } {
  const r = checkSetup(draft);
  return r.ok ? { setup: r.setup, issues: [] } : { setup: null, issues: r.issues };
}

/**
 * Parses what a user typed into a numeric field. Unparsable text is kept as the string so the
 * schema rejects it with the field's path (and the text stays in the box to be fixed).
 */
export function parseNumberInput(text: string, optional: boolean): number | string | undefined {
  const t = text.trim();
  if (t === '') return optional ? undefined : t;
  const v = Number(t);
  return Number.isFinite(v) ? v : t;
}

/** Parses "8, 16, 32" into [8, 16, 32]; keeps bad text as a string for the schema to reject. */
export function parseListInput(text: string): number[] | string {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const nums = parts.map(Number);
  return parts.length > 0 && nums.every((n) => Number.isFinite(n)) ? nums : text;
}
