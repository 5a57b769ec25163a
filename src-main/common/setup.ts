/**
 * The setup schema: one versioned, typed description of an experiment. It drives validation in the
 * CLI, the composer's forms, the archive and the sweep grid, so every knob lives here with its
 * default and its meaning. Defaults follow the paper's STL-10 setup (Tian, Chen & Ganguli 2021,
 * §5 and the official code `facebookresearch/luckmatters` ssl/real-dataset/config/byol_config.yaml).
 */
import { z } from 'zod';
import { PredictorSchema } from './predictors.ts';
import { controlCharIssue } from './text.ts';

/**
 * Version of the setup format; bump it and add an entry to `MIGRATIONS` when fields change.
 * v2: the symmetrised loss is summed over its two terms (v1 averaged them: `lossReduction`), and the
 * reference-code options `targetInit`, `projector.bnAffine`, `optim.lastBatch`, `predictor.freqPhase`,
 * `predictor.normalize` (DirectCopy); the evaluation protocol `eval.knnVote`, `eval.probeSelect` and
 * the evaluation images `eval.statsImages`.
 */
export const SETUP_VERSION = 2;

const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();
const unit = z.number().finite().min(0).max(1);

// The predictor union is built from the registry of kinds (common/predictors.ts).
export { PredictorSchema, PREDICTOR_KINDS, type PredictorSetup, type PredictorKind } from './predictors.ts';

/** Encoder: a small ResNet-style ConvNet for 28×28 / 32×32 input, or ResNet-18 for GPU users. */
export const EncoderSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('convnet'),
    /** Channels of each stage; every stage but the last is followed by a 2×2 max-pool. */
    widths: z.array(z.number().int().min(1).max(2048)).min(1).max(6).default([32, 64, 128, 256]),
    /** Add a residual 3×3 block after each stage's first conv (ResNet-style). */
    residual: z.boolean().default(false),
  }),
  z.strictObject({ kind: z.literal('resnet18') }),
]);
export type EncoderSetup = z.infer<typeof EncoderSchema>;

export const ProjectorSchema = z.strictObject({
  /** Hidden width of the 2-layer MLP projector (Linear → BN → ReLU → Linear). */
  hidden: z.number().int().min(1).max(8192).default(512),
  /** Output width d: the predictor input f ∈ R^d, so F̂ is d×d. */
  out: z.number().int().min(2).max(4096).default(128),
  /**
   * Whether the projector's BN has a trainable scale γ and shift β. Ours: true. Official code: false
   * (luckmatters ssl/real-dataset/config/byol_config.yaml, `trainer.projector_params.has_bn_affine: false`,
   * read by models/mlp_head.py as `nn.BatchNorm1d(size, affine=has_bn_affine)`).
   */
  bnAffine: z.boolean().default(true),
});

export const OptimSchema = z.strictObject({
  /** α: SGD learning rate. */
  lr: positive.max(10).default(0.03),
  momentum: z.number().finite().min(0).lt(1).default(0.9),
  /** η̄ = αη: weight decay of encoder + projector. */
  weightDecay: nonNegative.max(1).default(4e-4),
  /** Weight decay of the predictor alone (paper Table 5 studies predictor-only decay). */
  predictorWeightDecay: nonNegative.max(1).default(4e-4),
  /** α_p: predictor learning rate = α·α_p. */
  predictorLrRatio: positive.max(1000).default(1),
  batchSize: z.number().int().min(2).max(4096).default(128),
  epochs: z.number().finite().positive().max(10000).default(100),
  /** Optional cap on optimisation steps (short runs, tests); the run ends at whichever comes first. */
  maxSteps: z.number().int().positive().optional(),
  /**
   * The last batch of an epoch when B does not divide N: 'drop' it (ours: ⌊N/B⌋ steps per epoch) or
   * 'keep' it as a smaller batch (⌈N/B⌉ steps). Official code: 'keep' (luckmatters
   * ssl/real-dataset/byol_trainer.py, `DataLoader(…, drop_last=False, shuffle=True)` in `train`).
   */
  lastBatch: z.enum(['drop', 'keep']).default('drop'),
});

export const AugmentSchema = z.strictObject({
  /** Random resized crop: area fraction range and aspect-ratio range (log-uniform). */
  cropScale: z.tuple([unit, unit]).default([0.2, 1]),
  cropRatio: z.tuple([positive, positive]).default([3 / 4, 4 / 3]),
  flip: z.boolean().default(true),
  brightness: unit.default(0.4),
  contrast: unit.default(0.4),
  /** Colour input only. */
  saturation: unit.default(0.4),
  /** Probability of converting a colour view to grayscale (colour input only). */
  grayscale: unit.default(0.2),
  /** Std of additive Gaussian noise on the [0,1]-scaled image. */
  noise: nonNegative.max(1).default(0),
});

/**
 * Generator parameters of the 'invariance' dataset (each is explained in data/invariance.ts). Each
 * field's doc is its `.describe()` text, which the composer shows as the field's help: a field added
 * here appears in the app's form with its range, default and this text, without UI edits.
 */
export const InvarianceSchema = z.strictObject({
  size: z.number().int().min(16).max(96).default(28).describe('image side in pixels'),
  channels: z.union([z.literal(1), z.literal(3)]).default(1).describe('1: grayscale; 3: the background and each object get their own colour'),
  classes: z.number().int().min(2).max(10).default(4).describe('K classes: grating orientations |θ| = k·90°/(K−1)'),
  train: z.number().int().min(16).max(200000).default(4096).describe("train split: the pre-training images, also the probe's and kNN's labelled pool"),
  test: z.number().int().min(16).max(100000).default(1024).describe('held-out images the probe and kNN report on'),
  signal: unit
    .default(1)
    .describe("amplitude of the class grating relative to the clutter's levels (in [−1, 1]) before the image's contrast scales both"),
  clutter: z.number().int().min(0).max(16).default(3).describe('occluding objects per image (nuisance a crop resamples)'),
  nuisance: z
    .number()
    .finite()
    .min(0)
    .max(2)
    .default(1)
    .describe("ν: scale of the images' level (0.5 ± 0.25ν) and contrast (an 8^ν range) variation; 0: none"),
});
/** Parameters of the 'invariance' generator. */
export type InvarianceParams = z.infer<typeof InvarianceSchema>;

export const DataSchema = z.strictObject({
  /**
   * 'fashion-mnist-sample' (bundled: 10k train / 2k test, no download), 'synthetic' (generated),
   * 'invariance' (generated: class only in augmentation-invariant structure),
   * 'fashion-mnist' (Debian's IDX files), or the name of a dataset imported with `dplab data import`.
   */
  dataset: z.string().min(1).default('fashion-mnist-sample'),
  /** Folder of the dataset's files where the format needs one (e.g. Fashion-MNIST IDX files). */
  path: z.string().optional(),
  /** Use only the first N pre-training images (after a seeded shuffle); all when absent. */
  trainSize: z.number().int().positive().optional(),
  /** Synthetic generator parameters (dataset 'synthetic'). */
  synthetic: z
    .strictObject({
      size: z.number().int().min(8).max(96).default(28),
      channels: z.union([z.literal(1), z.literal(3)]).default(1),
      classes: z.number().int().min(2).max(100).default(10),
      train: z.number().int().min(16).max(200000).default(2000),
      test: z.number().int().min(16).max(100000).default(500),
    })
    .default({ size: 28, channels: 1, classes: 10, train: 2000, test: 500 }),
  /** 'invariance' generator parameters; absent: the defaults above. */
  invariance: InvarianceSchema.optional(),
});

export const EvalSchema = z.strictObject({
  /** Log spectra (eigenvalues of F̂ and W_p, alignment, asymmetry) every N steps. */
  spectraEvery: z.number().int().min(1).default(10),
  /** Evaluate (linear probe, kNN) every K epochs; 0 = only at the end. */
  everyEpochs: z.number().int().min(0).default(0),
  /** Images of the labelled train split used to fit the probe / kNN bank (0 = all). */
  probeTrain: z.number().int().min(0).default(5000),
  /** Images of the held-out split the probe and kNN report on (0 = all). */
  probeTest: z.number().int().min(0).default(2000),
  knnK: z.number().int().min(1).max(500).default(20),
  probeEpochs: z.number().int().min(1).max(1000).default(50),
  /**
   * kNN vote. 'weighted' (ours, default): each of the k neighbours votes exp(cos/T) with T = 0.07,
   * the weighted kNN of instance discrimination (Wu et al. 2018) as common SSL codebases run it;
   * 'majority': one vote per neighbour, ties going to the larger summed cosine similarity.
   */
  knnVote: z.enum(['weighted', 'majority']).default('weighted'),
  /**
   * Which probe epoch is reported. 'validation' (ours, default, honest): the epoch best on a held-out
   * validation split (the dataset's own, else a seeded fifth of the probe's train subset), the test
   * split only reported on. 'best-test': fit on the whole train subset and report the best test
   * accuracy over epochs, as the official code (luckmatters ssl/real-dataset) does: optimistic.
   */
  probeSelect: z.enum(['validation', 'best-test']).default('validation'),
  /**
   * Pre-training images (a fixed seeded subset, un-augmented, BN on batch statistics per chunk of
   * ≤ 256) whose projector outputs f give the effective rank and the evaluation collapse std: the
   * same images at step 0 (random-init baseline), at each spectra step and at the end.
   */
  statsImages: z.number().int().min(16).max(65536).default(512),
});

const BaseSetupSchema = z.strictObject({
  version: z.literal(SETUP_VERSION).default(SETUP_VERSION),
  name: z.string().max(200).optional(),
  /** Root seed; every component seed (init, data order, augmentation, probe) derives from it. */
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  /** byol: target = EMA of the online network (rate γ_a); simsiam: target = online network. */
  method: z.enum(['byol', 'simsiam']).default('byol'),
  /** γ_a: EMA momentum of the target (BYOL); the paper's β is (1 − γ_a)/α. */
  emaMomentum: unit.default(0.996),
  stopGradient: z.boolean().default(true),
  predictor: PredictorSchema.default({ kind: 'directpred', rho: 0.3, eps: 0.1, freq: 1, freqPhase: 'last', bias: false }),
  encoder: EncoderSchema.default({ kind: 'convnet', widths: [32, 64, 128, 256], residual: false }),
  projector: ProjectorSchema.default({ hidden: 512, out: 128, bnAffine: true }),
  /** cosine: symmetrised 2 − 2cos(p, z); mse: symmetrised ‖p − z‖² without l2 normalisation. */
  loss: z.enum(['cosine', 'mse']).default('cosine'),
  /**
   * How the two symmetric terms combine: 'sum' ℓ(p₁,t₂) + ℓ(p₂,t₁) (0–8 for 2 − 2cos) or 'mean'
   * ½[ℓ(p₁,t₂) + ℓ(p₂,t₁)] (0–4; half the gradient, so lr 0.03 / wd 4e-4 then act as the official
   * code's lr 0.015 / wd 8e-4). Official code: 'sum' (luckmatters ssl/real-dataset/byol_trainer.py,
   * `update`: `loss = regression_loss(p₁, t₁); loss += regression_loss(p₂, t₂); return loss.mean()`,
   * each term −2cos, so its logged loss is ours − 4). Setups of version 1 were trained with 'mean'.
   */
  lossReduction: z.enum(['sum', 'mean']).default('sum'),
  /**
   * The BYOL target's initial weights W_a(0): a 'copy' of the online network (ours, BYOL's paper) or
   * an independent 'random' initialisation (official code: luckmatters ssl/real-dataset/main.py builds
   * `target_network` as a second ResNet18 and byol_trainer.py's `train` has
   * `# self.initializes_target_network()` commented out). SimSiam has no separate target: 'random' is
   * refused for method 'simsiam' (see `inputRules`).
   */
  targetInit: z.enum(['copy', 'random']).default('copy'),
  optim: OptimSchema.default({
    lr: 0.03,
    momentum: 0.9,
    weightDecay: 4e-4,
    predictorWeightDecay: 4e-4,
    predictorLrRatio: 1,
    batchSize: 128,
    epochs: 100,
    lastBatch: 'drop',
  }),
  augment: AugmentSchema.default({
    cropScale: [0.2, 1],
    cropRatio: [3 / 4, 4 / 3],
    flip: true,
    brightness: 0.4,
    contrast: 0.4,
    saturation: 0.4,
    grayscale: 0.2,
    noise: 0,
  }),
  data: DataSchema.default({
    dataset: 'fashion-mnist-sample',
    synthetic: { size: 28, channels: 1, classes: 10, train: 2000, test: 500 },
  }),
  eval: EvalSchema.default({
    spectraEvery: 10,
    everyEpochs: 0,
    probeTrain: 5000,
    probeTest: 2000,
    knnK: 20,
    probeEpochs: 50,
    knnVote: 'weighted',
    probeSelect: 'validation',
    statsImages: 512,
  }),
});

type ParsedSetup = z.infer<typeof BaseSetupSchema>;

/** Rules every setup obeys, stored ones too (the archive never held a setup that broke them). */
function storedRules(s: ParsedSetup, ctx: z.core.$RefinementCtx<ParsedSetup>): void {
  if (!s.stopGradient && s.method === 'byol') {
    ctx.addIssue({
      code: 'custom',
      path: ['stopGradient'],
      message:
        'turning stop-gradient off only matters when the target is the online network: use method "simsiam" (a BYOL target is an EMA copy and receives no gradient)',
    });
  }
  if (s.augment.cropScale[0] > s.augment.cropScale[1]) {
    ctx.addIssue({ code: 'custom', path: ['augment', 'cropScale'], message: 'the lower bound exceeds the upper bound' });
  }
  if (s.augment.cropScale[1] <= 0) {
    ctx.addIssue({ code: 'custom', path: ['augment', 'cropScale'], message: 'the upper bound must be above 0' });
  }
  if (s.augment.cropRatio[0] > s.augment.cropRatio[1]) {
    ctx.addIssue({ code: 'custom', path: ['augment', 'cropRatio'], message: 'the lower bound exceeds the upper bound' });
  }
}

/**
 * Rules added after setups that break them were stored: new input is refused, the archive's runs
 * still load as they were accepted (`checkSetup(raw, { stored: true })`).
 * - A SimSiam target is the online network itself, so `targetInit` 'random' cannot apply (labs before
 *   this rule accepted and ignored it). 'copy', the default, describes the SimSiam target truthfully
 *   and is accepted; an explicit 'copy' is not told apart from the default.
 * - A `name` holds no control character (a line feed in it ran commands through a Slurm job script
 *   and breaks the CLI's tables); older runs' names are shown escaped (`printable` in common/text.ts).
 */
function inputRules(s: ParsedSetup, ctx: z.core.$RefinementCtx<ParsedSetup>): void {
  const nameIssue = s.name === undefined ? null : controlCharIssue(s.name);
  if (nameIssue) ctx.addIssue({ code: 'custom', path: ['name'], message: nameIssue });
  if (s.method === 'simsiam' && s.targetInit !== 'copy') {
    ctx.addIssue({
      code: 'custom',
      path: ['targetInit'],
      message: `method "simsiam" has no separate target network (its target is the online network itself), so targetInit "${s.targetInit}" cannot apply: set targetInit to "copy" (or leave it out) or use method "byol"`,
    });
  }
}

/** The full setup schema with cross-field rules: what the CLI, the composer, sweeps and runs.start accept. */
export const SetupSchema = BaseSetupSchema.superRefine((s, ctx) => {
  storedRules(s, ctx);
  inputRules(s, ctx);
});

/** The schema of a setup the archive (or a sweep folder) already stored: the rules added since are not applied. */
const StoredSetupSchema = BaseSetupSchema.superRefine(storedRules);

/** A complete, validated setup (all defaults filled in). */
export type Setup = z.infer<typeof SetupSchema>;
/** What a user may write: any field may be left out and takes its default. */
export type SetupInput = z.input<typeof SetupSchema>;

/** One problem in a setup: the dotted field path and the reason. */
export interface SetupIssue {
  path: string;
  message: string;
}

/** Raised for an invalid setup; `issues` names every offending field. */
export class SetupError extends Error {
  constructor(readonly issues: SetupIssue[]) {
    super(issues.map((i) => `${i.path || '(setup)'}: ${i.message}`).join('; '));
    this.name = 'SetupError';
  }
}

/** Formats a zod path as `optim.lr` or `augment.cropScale[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/**
 * One step of the setup format: the fields version `from` + 1 added, each with the value that keeps
 * a version-`from` setup meaning what it meant (the archive stores every run's full setup, so a
 * run trained before keeps its training). A field of a predictor or encoder kind is written only
 * where the setup names that kind; a setup that leaves the group out gets today's default kind, so
 * its legacy value must equal that default.
 */
interface Migration {
  from: number;
  added: { path: string; legacy: unknown }[];
}

/** The upgrades, oldest first; a field added in a version is listed under the version before it. */
const MIGRATIONS: readonly Migration[] = [
  {
    from: 1,
    added: [
      { path: 'lossReduction', legacy: 'mean' },
      { path: 'targetInit', legacy: 'copy' },
      { path: 'projector.bnAffine', legacy: true },
      { path: 'optim.lastBatch', legacy: 'drop' },
      { path: 'predictor.freqPhase', legacy: 'last' },
      { path: 'predictor.normalize', legacy: 'lambda-max' },
      // v1 ran the weighted kNN and chose the probe epoch on validation; its effective rank came
      // from one batch, which no value of statsImages reproduces: the default stands in.
      { path: 'eval.knnVote', legacy: 'weighted' },
      { path: 'eval.probeSelect', legacy: 'validation' },
      { path: 'eval.statsImages', legacy: 512 },
    ],
  },
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Whether `path` can be set on `obj`: always outside a kind union, else when `obj`'s kind has that field. */
function fieldAllowed(obj: Record<string, unknown>, path: string): boolean {
  const dot = path.lastIndexOf('.');
  if (dot < 0) return true;
  const group = path.slice(0, dot);
  const kinds = indexSchema().kinds.get(group);
  if (!kinds) return true;
  const kind = getAtPath(obj, `${group}.kind`);
  const fields = typeof kind === 'string' ? kinds.get(kind) : undefined;
  return !!fields?.has(path.slice(dot + 1));
}

/**
 * Upgrades an older setup version to the current one (a setup without `version` is current): only
 * the fields the versions since then added are written, no defaults. Throws `SetupError` for a
 * version newer than this lab's.
 */
export function migrateSetup(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const v = raw.version;
  if (typeof v === 'number' && v > SETUP_VERSION) {
    throw new SetupError([
      { path: 'version', message: `setup version ${v} is newer than this lab understands (${SETUP_VERSION}); update DirectPred Lab` },
    ]);
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v === SETUP_VERSION) return raw;
  let out: Record<string, unknown> = raw;
  for (const m of MIGRATIONS) {
    if (m.from < v) continue;
    for (const { path, legacy } of m.added) {
      if (getAtPath(out, path) !== undefined || !fieldAllowed(out, path)) continue;
      // A group left out (projector, optim) is created with this one field; zod fills the rest.
      out = setAtPath(out, path, legacy);
    }
  }
  return { ...out, version: SETUP_VERSION };
}

/**
 * The same setup as each earlier version wrote it (newest first), when it can be written there: the
 * fields added since carry their legacy values. Checkpoints record the setup hash of the version that
 * made them, so a run interrupted before an upgrade still resumes (`setupHashes` in common/hash.ts).
 */
export function earlierSetupForms(setup: Setup): Record<string, unknown>[] {
  const forms: Record<string, unknown>[] = [];
  let cur: Record<string, unknown> = structuredClone(setup) as unknown as Record<string, unknown>;
  for (let i = MIGRATIONS.length - 1; i >= 0; i--) {
    const m = MIGRATIONS[i]!;
    for (const { path, legacy } of m.added) {
      const have = getAtPath(cur, path);
      if (have === undefined) continue;
      if (canonicalJson(have) !== canonicalJson(legacy)) return forms;
      const dot = path.lastIndexOf('.');
      const parent = dot < 0 ? cur : (getAtPath(cur, path.slice(0, dot)) as Record<string, unknown>);
      delete parent[path.slice(dot + 1)];
    }
    cur = { ...cur, version: m.from };
    forms.push(structuredClone(cur));
  }
  return forms;
}

/** How a setup is read: `stored` for one the archive or a sweep folder holds (see `inputRules`). */
export interface SetupReadOptions {
  stored?: boolean;
}

/**
 * Validates without throwing: either the full setup or the list of issues with field paths. A
 * `stored` setup (a run's, as archived) is not held to the rules added after it was accepted, so
 * every archived run still loads, resumes and hashes as it did.
 */
export function checkSetup(raw: unknown, opts: SetupReadOptions = {}): { ok: true; setup: Setup } | { ok: false; issues: SetupIssue[] } {
  let migrated: unknown;
  try {
    migrated = migrateSetup(raw);
  } catch (e) {
    if (e instanceof SetupError) return { ok: false, issues: e.issues };
    throw e;
  }
  const r = (opts.stored ? StoredSetupSchema : SetupSchema).safeParse(migrated ?? {});
  if (r.success) return { ok: true, setup: r.data };
  return { ok: false, issues: r.error.issues.flatMap(toSetupIssues) };
}

/** Every object of the schema is strict: an unknown key is named by its full path, one issue each. */
function toSetupIssues(i: z.core.$ZodIssue): SetupIssue[] {
  if (i.code === 'unrecognized_keys') {
    return i.keys.map((k) => ({ path: formatPath([...i.path, k]), message: `unknown field (not in setup schema v${SETUP_VERSION})` }));
  }
  return [{ path: formatPath(i.path), message: i.message }];
}

/** Validates and fills defaults; throws `SetupError` naming each bad field (`stored`: see `checkSetup`). */
export function parseSetup(raw: unknown, opts: SetupReadOptions = {}): Setup {
  const r = checkSetup(raw, opts);
  if (!r.ok) throw new SetupError(r.issues);
  return r.setup;
}

/** The default setup (paper's STL-10 hyper-parameters, DirectPred predictor, bundled Fashion-MNIST sample). */
export function defaultSetup(): Setup {
  return parseSetup({});
}

/** Serialises with keys sorted, so equal setups give equal strings (and hashes). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/**
 * Keys that walk into an object's prototype chain. A path from user data (a sweep axis, `--set`, a
 * group-by field) containing one is refused before it touches any object.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The first own key anywhere in `value` that names a prototype (`__proto__`, `constructor`,
 * `prototype`), with its path. JSON turns `"__proto__"` into an ordinary own key, harmless until some
 * code assigns through it (zod's records drop it): requests and sweep files are refused whole
 * rather than silently stripped.
 */
export function findForbiddenKey(value: unknown, path = '', depth = 0): { key: string; path: string } | null {
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  for (const key of Object.keys(value)) {
    const p = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return { key, path: p };
    const inner = findForbiddenKey((value as Record<string, unknown>)[key], p, depth + 1);
    if (inner) return inner;
  }
  return null;
}

/**
 * A node of the setup schema in JSON Schema form, as a user writes a setup (zod's public
 * `toJSONSchema` with `io: 'input'`, never its internals): the fields the walk's readers use.
 */
export interface SetupSchemaNode {
  type?: string;
  properties?: Record<string, SetupSchemaNode>;
  required?: string[];
  oneOf?: SetupSchemaNode[];
  anyOf?: SetupSchemaNode[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  description?: string;
}

/** A union branch taken on the way to a field: the union's path and the branch's `kind`. */
export interface SchemaBranch {
  at: string;
  kind: string | undefined;
}

/** One field met by `walkSetupSchema`. */
export interface SetupSchemaField {
  /** Dotted path: `optim.lr`, `predictor.eps`, `data.synthetic` (a group is a field too). */
  path: string;
  node: SetupSchemaNode;
  /** Whether the object holding the field requires it as written (a field with a default does not). */
  required: boolean;
  /**
   * The union branches on the way down, outermost first: where the union is and the branch's `kind`
   * (`[{ at: 'predictor', kind: 'directpred' }]` for `predictor.eps` of that kind; kind undefined
   * for a branch without one, such as a nullable group's object).
   */
  branches: readonly SchemaBranch[];
}

let setupJson: SetupSchemaNode | null = null;

/**
 * The one walk of the setup schema: every field, depth first in schema order, every branch of
 * every union (a path several branches share is met once per branch). The path and kind index
 * below, the composer's field editors and the runs CSV's `setup.*` columns all read the schema
 * through it, so none of them can drift from the schema or from each other.
 */
export function walkSetupSchema(visit: (field: SetupSchemaField) => void): void {
  setupJson ??= z.toJSONSchema(BaseSetupSchema, { io: 'input', unrepresentable: 'any' }) as SetupSchemaNode;
  const walk = (node: SetupSchemaNode, prefix: string, branches: readonly SchemaBranch[]): void => {
    for (const b of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) {
      const kind = b.properties?.kind?.const;
      walk(b, prefix, [...branches, { at: prefix, kind: typeof kind === 'string' ? kind : undefined }]);
    }
    for (const [k, child] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${k}` : k;
      visit({ path, node: child, required: node.required?.includes(k) ?? false, branches });
      walk(child, path, branches);
    }
  };
  walk(setupJson, '', []);
}

interface SchemaIndex {
  /** Every dotted path of a field or group of fields. */
  paths: ReadonlySet<string>;
  /** Group path (`predictor`, `encoder`) → kind → the field names that kind allows. */
  kinds: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>;
}
let schemaIndex: SchemaIndex | null = null;

/** Paths and per-kind fields read off the schema, so they can never drift from it. */
function indexSchema(): SchemaIndex {
  if (schemaIndex) return schemaIndex;
  const paths = new Set<string>();
  const kinds = new Map<string, Map<string, Set<string>>>();
  walkSetupSchema(({ path, branches }) => {
    paths.add(path);
    // A field of a kind's branch, directly under its union (`predictor.rho`): that kind allows it.
    const branch = branches.at(-1);
    const group = path.slice(0, Math.max(0, path.lastIndexOf('.')));
    if (!branch?.kind || !group || branch.at !== group) return;
    if (!kinds.has(group)) kinds.set(group, new Map());
    const byKind = kinds.get(group)!;
    if (!byKind.has(branch.kind)) byKind.set(branch.kind, new Set());
    byKind.get(branch.kind)!.add(path.slice(group.length + 1));
  });
  schemaIndex = { paths, kinds };
  return schemaIndex;
}

/** Every dotted path that names a field (or a group of fields) of the setup schema; a field of any predictor or encoder kind counts. */
export function setupPaths(): ReadonlySet<string> {
  return indexSchema().paths;
}

/** Why `path` names no field of the setup schema, or null when it does. */
export function setupPathIssue(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'empty field path';
  const bad = path.split('.').find((k) => FORBIDDEN_KEYS.has(k));
  if (bad !== undefined) return `'${bad}' may not appear in a field path`;
  if (!setupPaths().has(path)) return `not a setup field (setup schema v${SETUP_VERSION})`;
  return null;
}

/** True when the path's trouble is a prototype key or an empty path (not merely an unknown field). */
export function isForbiddenPath(path: string): boolean {
  return typeof path !== 'string' || path.length === 0 || path.split('.').some((k) => FORBIDDEN_KEYS.has(k));
}

/** Throws a `SetupError` unless `path` names a field of the setup schema. */
export function assertSetupPath(path: string): void {
  const issue = setupPathIssue(path);
  if (issue) throw new SetupError([{ path: String(path), message: issue }]);
}

/**
 * Reads a value at a dotted path (`optim.lr`, `predictor.kind`) of a setup-like object. Only own
 * properties are read, so a path never reaches a prototype's members.
 */
export function getAtPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Returns a deep copy of `obj` with the value at a dotted path replaced (objects created as needed).
 * Prototype keys are refused (SetupError): callers with user paths check `setupPathIssue` first.
 */
export function setAtPath<T>(obj: T, path: string, value: unknown): T {
  const keys = path.split('.');
  const bad = keys.find((k) => FORBIDDEN_KEYS.has(k));
  if (bad !== undefined) throw new SetupError([{ path, message: `'${bad}' may not appear in a field path` }]);
  const copy = structuredClone(obj ?? {}) as Record<string, unknown>;
  let cur = copy;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    const next = Object.hasOwn(cur, k) ? cur[k] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      Object.defineProperty(cur, k, { value: {}, enumerable: true, writable: true, configurable: true });
    }
    cur = cur[k] as Record<string, unknown>;
  }
  Object.defineProperty(cur, keys[keys.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
  return copy as T;
}


/**
 * Sets one field of a raw setup the way a user means it: choosing another predictor or encoder kind
 * (`predictor.kind`) drops the fields the new kind does not have, so a sweep over kinds from a
 * DirectPred base does not carry `rho` into a linear predictor (every setup object is strict).
 */
export function setSetupField<T>(raw: T, path: string, value: unknown): T {
  const out = setAtPath(raw, path, value);
  if (!path.endsWith('.kind') || typeof value !== 'string') return out;
  const group = path.slice(0, -'.kind'.length);
  const allowed = indexSchema().kinds.get(group)?.get(value);
  const obj = getAtPath(out, group);
  if (!allowed || obj === null || typeof obj !== 'object') return out;
  for (const k of Object.keys(obj)) if (!allowed.has(k)) delete (obj as Record<string, unknown>)[k];
  return out;
}
