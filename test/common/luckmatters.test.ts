/**
 * `dplab export luckmatters`: a setup becomes the official code's Hydra overrides (the README's
 * DirectPred command recovered from the lab's DirectPred setup), the loss-scale difference is
 * translated, every field without a counterpart is named, and a sweep becomes the fewest multirun
 * commands whose cartesian products cover its members exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSetup } from '../../src-main/common/setup.ts';
import { expandSweep } from '../../src-main/common/sweep.ts';
import { formatHydraCommand, luckmattersSetup, luckmattersSweep } from '../../src-main/common/luckmatters.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

test('the lab’s DirectPred setup gives the official README command’s options', () => {
  const s = parseSetup({ seed: 1, encoder: { kind: 'resnet18' }, predictor: { kind: 'directpred', rho: 0.3, eps: 0.01, freq: 1 } });
  const t = luckmattersSetup(s);
  const o = Object.fromEntries(t.overrides);
  // ssl/real-dataset/README.md: seed=1 method=byol trainer.max_epochs=100 trainer.predictor_params.has_bias=false
  // trainer.predictor_params.normalization=no_normalization network.predictor_head.mlp_hidden_size=null
  // trainer.predictor_reg=corr trainer.predictor_freq=1 trainer.dyn_lambda=0.3 trainer.dyn_eps=0.01 trainer.balance_type=boost_scale
  assert.deepEqual(
    {
      seed: o.seed,
      method: o.method,
      max: o['trainer.max_epochs'],
      bias: o['trainer.predictor_params.has_bias'],
      norm: o['trainer.predictor_params.normalization'],
      hidden: o['network.predictor_head.mlp_hidden_size'],
      reg: o['trainer.predictor_reg'],
      freq: o['trainer.predictor_freq'],
      lambda: o['trainer.dyn_lambda'],
      eps: o['trainer.dyn_eps'],
      balance: o['trainer.balance_type'],
    },
    { seed: '1', method: 'byol', max: '100', bias: 'false', norm: 'no_normalization', hidden: 'null', reg: 'corr', freq: '1', lambda: '0.3', eps: '0.01', balance: 'boost_scale' },
  );
  // Both sum the two symmetric loss terms: lr and weight decay carry over unchanged.
  assert.equal(o['optimizer.params.lr'], '0.03');
  assert.equal(o['optimizer.params.weight_decay'], '0.0004');
  assert.ok(!t.translated.some((x) => /optimizer\.params\.lr/.test(x)));
  assert.equal(o['trainer.m'], '0.996');
  assert.equal(o['network.name'], 'resnet18');
  assert.ok(!t.unmapped.some((u) => u.path === 'encoder'));
});

test('a setup with the averaged loss (every version-1 setup) is translated: lr/2, 2·weight decay, the predictor’s too', () => {
  const s = parseSetup({ lossReduction: 'mean', optim: { predictorLrRatio: 10 } });
  const t = luckmattersSetup(s);
  const o = Object.fromEntries(t.overrides);
  // Our averaged loss has half the official summed loss's gradient: lr/2, 2·weight decay, same dynamics.
  assert.equal(o['optimizer.params.lr'], '0.015');
  assert.equal(o['optimizer.params.weight_decay'], '0.0008');
  assert.equal(o['predictor_optimizer.params.lr'], '0.15');
  assert.equal(o['predictor_optimizer.params.weight_decay'], '0.0008');
  assert.ok(t.translated.some((x) => /averages the two symmetric loss terms/.test(x)));
  const v1 = luckmattersSetup(parseSetup({ version: 1 }));
  assert.equal(Object.fromEntries(v1.overrides)['optimizer.params.lr'], '0.015', 'a v1 setup keeps the meaning it was trained with');
});

test('reference-code options: official values map to the official defaults, ours are named where no option exists', () => {
  const official = luckmattersSetup(parseSetup({
    targetInit: 'random', projector: { bnAffine: false }, optim: { lastBatch: 'keep' },
    predictor: { kind: 'directpred', freq: 5, freqPhase: 'first' }, encoder: { kind: 'resnet18' },
  }));
  const o = Object.fromEntries(official.overrides);
  assert.equal(o['trainer.projector_params.has_bn_affine'], 'false');
  assert.equal(o['trainer.predictor_freq'], '5');
  const paths = official.unmapped.map((u) => u.path);
  for (const p of ['targetInit', 'optim.lastBatch', 'predictor.freqPhase', 'projector.bnAffine']) assert.ok(!paths.includes(p), p);

  const ours = luckmattersSetup(parseSetup({ predictor: { kind: 'directpred', freq: 5 } }));
  assert.equal(Object.fromEntries(ours.overrides)['trainer.projector_params.has_bn_affine'], 'true');
  const why = new Map(ours.unmapped.map((u) => [u.path, u.why]));
  assert.match(why.get('targetInit')!, /initializes_target_network/);
  assert.match(why.get('optim.lastBatch')!, /drop_last=False/);
  assert.match(why.get('predictor.freqPhase')!, /niter % predictor_freq == 0/);
  // freq = 1: both phases set W_p after every step, nothing to report.
  assert.ok(!luckmattersSetup(parseSetup({})).unmapped.some((u) => u.path === 'predictor.freqPhase'));
  // SimSiam has no separate target to initialise.
  assert.ok(!luckmattersSetup(parseSetup({ method: 'simsiam' })).unmapped.some((u) => u.path === 'targetInit'));

  const dc = (normalize: string) => luckmattersSetup(parseSetup({ predictor: { kind: 'directcopy', normalize } })).unmapped.some((u) => u.path === 'predictor.normalize');
  assert.equal(dc('none'), false, 'F̂ + εI is the official DirectCopy');
  assert.equal(dc('lambda-max'), true);
  // Our 2-layer predictor's BN is affine; the export says so to the official code.
  assert.equal(Object.fromEntries(luckmattersSetup(parseSetup({ predictor: { kind: 'mlp' } })).overrides)['trainer.predictor_params.has_bn_affine'], 'true');
});

test('predictor kinds, α_p, SimSiam and fields without a counterpart', () => {
  const kinds = (predictor: object) => Object.fromEntries(luckmattersSetup(parseSetup({ predictor })).overrides);
  // No predictor: the official code needs one (main.py), so it is held at W_p = I; said so.
  const none = kinds({ kind: 'none' });
  assert.equal(none['trainer.has_predictor'], undefined);
  assert.deepEqual([none['trainer.predictor_reg'], none['trainer.predictor_eig'], none['trainer.predictor_eps'], none['trainer.predictor_freq'], none['predictor_optimizer.params.lr']], ['onehalfeig', '0', '1', '0', '0']);
  assert.ok(luckmattersSetup(parseSetup({ predictor: { kind: 'none' } })).translated.some((x) => /held at W_p = I/.test(x)));
  assert.ok(luckmattersSweep(expandSweep({ axes: { 'predictor.kind': ['none', 'linear'] } }).members).translated.some((x) => /held at W_p = I: .*which keeps I$/.test(x)));
  assert.equal(kinds({ kind: 'linear', symmetric: true })['trainer.predictor_reg'], 'symmetric');
  assert.equal(kinds({ kind: 'linear' })['trainer.predictor_reg'], 'null');
  assert.equal(kinds({ kind: 'mlp', hidden: 256 })['network.predictor_head.mlp_hidden_size'], '256');
  const dc = kinds({ kind: 'directcopy', eps: 0.2 });
  assert.deepEqual([dc['trainer.balance_type'], dc['trainer.dyn_convert'], dc['trainer.dyn_eps']], ['direct', '1', '0.2']);
  const ap = Object.fromEntries(luckmattersSetup(parseSetup({ optim: { predictorLrRatio: 10 } })).overrides);
  assert.equal(ap.predictor_optimizer_same, 'false');
  assert.equal(ap['predictor_optimizer.params.lr'], '0.3');
  const sim = luckmattersSetup(parseSetup({ method: 'simsiam', stopGradient: false }));
  assert.equal(Object.fromEntries(sim.overrides)['trainer.m'], '0');
  const paths = sim.unmapped.map((u) => u.path);
  for (const p of ['stopGradient', 'encoder', 'data.dataset', 'eval']) assert.ok(paths.includes(p), p);
  assert.ok(!luckmattersSetup(parseSetup({ data: { dataset: 'cifar-10' } })).unmapped.some((u) => u.path === 'data.dataset'));
});

test('a sweep becomes the fewest multirun commands covering each member exactly once', () => {
  const x = expandSweep({ base: { encoder: { kind: 'resnet18' } }, axes: { 'predictor.kind': ['linear', 'directpred', 'none'], 'optim.lr': [0.01, 0.03], emaMomentum: [0, 0.996] }, seeds: 3 });
  assert.deepEqual(x.issues, []);
  const t = luckmattersSweep(x.members);
  assert.equal(t.commands.length, 3, 'one command per predictor kind; lr, EMA and seeds become lists');
  const fromCommands: string[] = [];
  for (const c of t.commands) {
    let points: [string, string][][] = [[]];
    for (const [k, vs] of c.overrides) points = points.flatMap((pt) => vs.map((v) => [...pt, [k, v] as [string, string]]));
    for (const pt of points) fromCommands.push(JSON.stringify(pt.sort()));
  }
  const fromMembers = x.members.map((m) => JSON.stringify(luckmattersSetup(m.setup).overrides.slice().sort()));
  assert.equal(fromCommands.length, fromMembers.length, 'no member twice');
  assert.deepEqual(fromCommands.sort(), fromMembers.sort());
  assert.match(formatHydraCommand(t.commands[0]!), /^python main\.py -m .*seed=0,1,2/);
});

test('dplab export luckmatters: the example sweep, a setup, and clear refusals', () => {
  const dplab = (...a: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/dplab.mjs'), 'export', ...a], { encoding: 'utf8' });
  const sweep = dplab('luckmatters', join(ROOT, 'examples/sweep-predictors.json'));
  assert.equal(sweep.status, 0, sweep.stderr);
  assert.equal(sweep.stdout.split('\n').filter((l) => l.startsWith('python main.py -m')).length, 3);
  assert.match(sweep.stdout, /No counterpart in the official code/);
  const json = JSON.parse(dplab('luckmatters', join(ROOT, 'examples/quick.json'), '--json').stdout) as { commands: string[] };
  assert.equal(json.commands.length, 1);
  const dir = mkdtempSync(join(tmpdir(), 'dplab-export-'));
  try {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ optim: { lr: -1 } }));
    const bad = dplab('luckmatters', join(dir, 'bad.json'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /optim\.lr/);
    assert.equal(dplab('slurm', join(dir, 'bad.json')).status, 2);
    assert.equal(dplab('luckmatters', join(dir, 'missing.json')).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DirectPred with c_j (Table 7) exports as dyn_eps_inside=true dyn_eps=−c_j; an ε beside it is named as unmapped', () => {
  const o = (t: ReturnType<typeof luckmattersSetup>) => Object.fromEntries(t.overrides);
  const t = luckmattersSetup(parseSetup({ predictor: { kind: 'directpred', eps: 0, cj: 0.1 } }));
  assert.equal(o(t)['trainer.dyn_eps_inside'], 'true');
  assert.equal(o(t)['trainer.dyn_eps'], '-0.1');
  assert.ok(!t.unmapped.some((u) => u.path === 'predictor.eps'));
  const both = luckmattersSetup(parseSetup({ predictor: { kind: 'directpred', eps: 0.1, cj: -0.05 } }));
  assert.equal(o(both)['trainer.dyn_eps'], '0.05');
  assert.match(both.unmapped.find((u) => u.path === 'predictor.eps')?.why ?? '', /dyn_eps_inside/);
  // Without c_j nothing changes: ε outside the root, no dyn_eps_inside override.
  const plain = o(luckmattersSetup(parseSetup({ predictor: { kind: 'directpred', eps: 0.1 } })));
  assert.equal(plain['trainer.dyn_eps'], '0.1');
  assert.equal(plain['trainer.dyn_eps_inside'], undefined);
});
