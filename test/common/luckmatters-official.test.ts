/**
 * Every command `dplab export luckmatters` emits must be one the official code runs: each key is
 * one its Hydra config defines (src-main/common/luckmatters-official.json, read from the commit named
 * there), each value one the code accepts, and the predictor head it builds (models/mlp_head.py)
 * has the setup's sizes, for every predictor kind and every example in examples/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSetup, type Setup } from '../../src-main/common/setup.ts';
import { expandSweep } from '../../src-main/common/sweep.ts';
import { luckmattersSetup, luckmattersSweep, type Override } from '../../src-main/common/luckmatters.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

interface Official {
  source: { repository: string; commit: string; config: string };
  keys: Record<string, unknown>;
  accepted: Record<string, { values: unknown[]; valuesTwoLinearLayers?: unknown[] }>;
}
const OFFICIAL = JSON.parse(readFileSync(join(ROOT, 'src-main/common/luckmatters-official.json'), 'utf8')) as Official;

/** A Hydra override's value as OmegaConf reads it. */
function hydraValue(v: string): unknown {
  if (v === 'null') return null;
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  return v;
}

/**
 * What the official code would refuse or get wrong in one command for this setup: unknown keys,
 * values outside what the code accepts, and a predictor head whose sizes differ from the setup's.
 */
function problems(overrides: readonly Override[], s: Setup): string[] {
  const out: string[] = [];
  const cfg = new Map<string, unknown>(Object.entries(OFFICIAL.keys));
  const seen = new Set<string>();
  for (const [k, v] of overrides) {
    if (!Object.hasOwn(OFFICIAL.keys, k)) out.push(`unknown key ${k} (not in ${OFFICIAL.source.config} at ${OFFICIAL.source.commit.slice(0, 7)})`);
    if (seen.has(k)) out.push(`key ${k} given twice`);
    seen.add(k);
    cfg.set(k, hydraValue(v));
  }
  const get = (k: string) => cfg.get(k);
  const hidden = get('network.predictor_head.mlp_hidden_size');
  const twoLayers = hidden !== null;
  for (const [k, a] of Object.entries(OFFICIAL.accepted)) {
    const values = twoLayers && a.valuesTwoLinearLayers ? a.valuesTwoLinearLayers : a.values;
    if (!values.some((x) => x === get(k))) out.push(`${k}=${String(get(k))} is not accepted (${values.map(String).join(', ')})`);
  }
  if (get('trainer.predictor_reg') === 'corr' && get('trainer.balance_type') === 'direct' && get('trainer.dyn_convert') !== 1) out.push('balance_type=direct needs dyn_convert=1');
  if (get('method') !== 'byol') out.push(`method=${String(get('method'))}: the lab's methods are BYOL-type`);

  // models/mlp_head.py with in_channels = projection_head.projection_size (main.py).
  const dIn = get('network.projection_head.projection_size');
  const dOut = get('network.predictor_head.projection_size');
  if (dIn !== s.projector.out) out.push(`projection_head.projection_size=${String(dIn)}, the setup's projector.out is ${s.projector.out}`);
  if (get('network.projection_head.mlp_hidden_size') !== s.projector.hidden) out.push(`projection_head.mlp_hidden_size=${String(get('network.projection_head.mlp_hidden_size'))}, the setup's projector.hidden is ${s.projector.hidden}`);
  if (dOut !== dIn) out.push(`predictor head ${String(dIn)} → ${String(dOut)} against ${String(dIn)}-d targets`);
  const p = s.predictor;
  const norm = get('trainer.predictor_params.normalization');
  if (p.kind === 'mlp') {
    if (hidden !== p.hidden) out.push(`mlp: predictor_head.mlp_hidden_size=${String(hidden)}, the setup's is ${p.hidden}`);
    if (norm !== 'bn' || get('trainer.predictor_params.has_relu') !== true) out.push('mlp: Linear → BN → ReLU → Linear');
  } else {
    // One bias-free (unless asked) linear layer d → d, nothing around it.
    if (hidden !== null) out.push(`${p.kind}: predictor_head.mlp_hidden_size=${String(hidden)}, a linear head needs null`);
    if (norm !== 'no_normalization') out.push(`${p.kind}: normalization=${String(norm)} around a linear predictor`);
    if (get('trainer.predictor_params.additional_bn_at_input') !== false) out.push(`${p.kind}: BN at the predictor input`);
    const bias = p.kind === 'linear' || p.kind === 'directpred' ? p.bias : false;
    if (get('trainer.predictor_params.has_bias') !== bias) out.push(`${p.kind}: has_bias=${String(get('trainer.predictor_params.has_bias'))}, the setup's is ${bias}`);
  }
  // What sets W_p (byol_trainer.py regulate_predictor / compute_w_corr).
  const reg = get('trainer.predictor_reg');
  const expectReg = (want: unknown) => reg !== want && out.push(`${p.kind}: predictor_reg=${String(reg)}, expected ${String(want)}`);
  if (p.kind === 'directpred' || p.kind === 'directcopy') {
    expectReg('corr');
    if (get('trainer.predictor_freq') !== p.freq) out.push(`${p.kind}: predictor_freq=${String(get('trainer.predictor_freq'))}, the setup's freq is ${p.freq}`);
    // With DirectPred's c_j (Table 7) the official dyn_eps sits inside the root and carries −c_j.
    const cj = p.kind === 'directpred' ? p.cj : undefined;
    const [epsWant, inside] = cj === undefined ? [p.eps, false] : [-cj, true];
    if (get('trainer.dyn_lambda') !== p.rho || get('trainer.dyn_eps') !== epsWant) out.push(`${p.kind}: dyn_lambda/dyn_eps are not ρ/${cj === undefined ? 'ε' : '−c_j'}`);
    if (get('trainer.dyn_eps_inside') !== inside) out.push(`${p.kind}: dyn_eps_inside=${String(get('trainer.dyn_eps_inside'))}`);
    const [balance, convert] = p.kind === 'directpred' ? ['boost_scale', 2] : ['direct', 1];
    if (get('trainer.balance_type') !== balance || get('trainer.dyn_convert') !== convert) out.push(`${p.kind}: balance_type=${String(get('trainer.balance_type'))} dyn_convert=${String(get('trainer.dyn_convert'))}`);
  } else if (p.kind === 'linear') expectReg(p.symmetric ? 'symmetric' : null);
  else if (p.kind === 'mlp') expectReg(null);
  else if (p.kind === 'optimal') {
    // Table 1's plug-in predictor: the official least-squares rule, a bias-free linear head.
    expectReg('solve');
    if (get('trainer.predictor_freq') !== p.freq || get('trainer.dyn_lambda') !== p.rho || get('trainer.dyn_reg') !== p.ridge) out.push('optimal: predictor_freq/dyn_lambda/dyn_reg are not freq/ρ/ridge');
    if (hidden !== null || norm !== 'no_normalization' || get('trainer.predictor_params.has_bias') !== false) out.push('optimal: not a bias-free linear head');
  } else {
    // No predictor: W_p held at exactly I. onehalfeig writes W = eig·(…) + eps·I, here 0·(…) + 1·I,
    // at the start (init_rand_pred, before any forward); after that either it is written again
    // after every step (predictor_freq = 1), or nothing moves it: a predictor SGD with lr 0 and
    // no weight decay, no predictor_wd, and with predictor_freq = 0 only the symmetrisation.
    expectReg('onehalfeig');
    const frozen = get('predictor_optimizer_same') === false && get('predictor_optimizer.params.lr') === 0 && get('predictor_optimizer.params.weight_decay') === 0;
    const held = get('trainer.predictor_eig') === 0 && get('trainer.predictor_eps') === 1 && get('trainer.init_rand_pred') === true && get('trainer.predictor_wd') === null && (get('trainer.predictor_freq') === 1 || (get('trainer.predictor_freq') === 0 && frozen));
    if (!held) out.push('none: W_p is not held at I from the first step');
  }
  return out;
}

const KIND_VARIANTS: object[] = [
  { kind: 'none' },
  { kind: 'linear' },
  { kind: 'linear', bias: true, symmetric: true },
  { kind: 'mlp' },
  { kind: 'mlp', hidden: 64 },
  { kind: 'directpred' },
  { kind: 'directpred', freq: 5, freqPhase: 'first', bias: true, eps: 0, rho: 0.9 },
  { kind: 'directpred', eps: 0, cj: 0.1 },
  { kind: 'directcopy' },
  { kind: 'directcopy', normalize: 'none', freq: 3 },
  { kind: 'optimal' },
  { kind: 'optimal', freq: 3, freqPhase: 'first', ridge: 0.1 },
];

test(`the key list is the official config's (${OFFICIAL.source.repository} ${OFFICIAL.source.config})`, () => {
  assert.match(OFFICIAL.source.commit, /^[0-9a-f]{40}$/);
  assert.equal(Object.keys(OFFICIAL.keys).length, 108);
  // Spot checks of defaults the export leans on.
  assert.equal(OFFICIAL.keys['network.predictor_head.projection_size'], 128);
  assert.equal(OFFICIAL.keys['trainer.dyn_convert'], 2);
  assert.equal(OFFICIAL.keys['trainer.predictor_reg'], 'symmetric');
  assert.equal(OFFICIAL.keys['trainer.predictor_params.has_bias'], true);
});

test('every predictor kind gives a command the official code accepts, with the setup’s head sizes', () => {
  let checked = 0;
  for (const predictor of KIND_VARIANTS) {
    for (const base of [{}, { method: 'simsiam' }, { lossReduction: 'mean', optim: { predictorLrRatio: 10 } }, { projector: { hidden: 48, out: 8 }, encoder: { kind: 'resnet18' } }]) {
      const s = parseSetup({ ...base, predictor });
      const found = problems(luckmattersSetup(s).overrides, s);
      assert.deepEqual(found, [], `${JSON.stringify(predictor)} ${JSON.stringify(base)}`);
      checked++;
    }
  }
  assert.equal(checked, KIND_VARIANTS.length * 4);
});

test('every example in examples/ exports to commands the official code accepts', () => {
  const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const doc = JSON.parse(readFileSync(join(ROOT, 'examples', f), 'utf8')) as Record<string, unknown>;
    const members = 'axes' in doc || 'base' in doc ? expandSweep(doc).members : [{ setup: parseSetup(doc) }];
    assert.ok(members.length > 0, f);
    for (const m of members) assert.deepEqual(problems(luckmattersSetup(m.setup).overrides, m.setup), [], `${f}: ${m.setup.predictor.kind}`);
    // The multirun commands use the same keys, each once.
    if (members.length > 1) {
      for (const c of luckmattersSweep(members as Parameters<typeof luckmattersSweep>[0]).commands) {
        const unknown = c.overrides.map(([k]) => k).filter((k) => !Object.hasOwn(OFFICIAL.keys, k));
        assert.deepEqual(unknown, [], f);
      }
    }
  }
});

test('the check refuses what the official code would: an unknown key, a 16 → 128 head, a missing predictor, a non-identity stand-in', () => {
  const s = parseSetup({ predictor: { kind: 'directpred' }, projector: { hidden: 32, out: 16 } });
  const good = luckmattersSetup(s).overrides;
  assert.deepEqual(problems(good, s), []);
  assert.match(problems([...good, ['trainer.has_predictorr', 'true']], s).join('\n'), /unknown key trainer\.has_predictorr/);
  assert.match(problems(good.filter(([k]) => k !== 'network.predictor_head.projection_size'), s).join('\n'), /16 → 128 against 16-d targets/);
  const none = parseSetup({ predictor: { kind: 'none' } });
  assert.match(problems([...luckmattersSetup(none).overrides.filter(([k]) => k !== 'trainer.has_predictor'), ['trainer.has_predictor', 'false']], none).join('\n'), /trainer\.has_predictor=false is not accepted/);
  assert.match(problems(luckmattersSetup(none).overrides.map(([k, v]): Override => [k, k === 'trainer.predictor_eig' ? '0.5' : v]), none).join('\n'), /not held at I/);
  assert.match(problems(luckmattersSetup(none).overrides.map(([k, v]): Override => [k, k === 'predictor_optimizer.params.lr' ? '0.03' : v]), none).join('\n'), /not held at I/);
  assert.match(problems([...good, ['trainer.predictor_reg', 'directpred']], s).join('\n'), /given twice|not accepted/);
});

test('dplab export luckmatters --json: the example sweep’s commands use only official keys, a predictor head d → d', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/dplab.mjs'), 'export', 'luckmatters', join(ROOT, 'examples/sweep-predictors.json'), '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { commands: string[]; overrides: { overrides: [string, string[]][] }[] };
  assert.equal(j.commands.length, 3);
  for (const c of j.overrides) {
    const m = new Map(c.overrides);
    for (const k of m.keys()) assert.ok(Object.hasOwn(OFFICIAL.keys, k), k);
    assert.deepEqual(m.get('network.predictor_head.projection_size'), ['32']);
    assert.deepEqual(m.get('network.projection_head.projection_size'), ['32']);
    assert.notDeepEqual(m.get('trainer.has_predictor'), ['false']);
  }
  assert.ok(j.commands.every((c) => !/has_predictor=false/.test(c)));
});
