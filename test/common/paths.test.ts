/**
 * Field paths from user data (sweep axes, `--set`, group-by) and nested strictness of the setup
 * schema: a path names a field of the schema or is refused, prototype keys never walk into an
 * object, and an unknown key anywhere in a setup is refused with its full path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  checkSetup,
  getAtPath,
  setAtPath,
  setSetupField,
  setupPathIssue,
  setupPaths,
  SetupError,
  walkSetupSchema,
  type SetupSchemaField,
} from '../../src-main/common/setup.ts';
import { SETUP_COLUMNS } from '../../src-main/archive/export.ts';
import { SETUP_PRESETS, QUICK_SETUP } from '../../src-main/common/presets.ts';
import { trainerEnv } from '../../src-main/runs/env.ts';

test('setup paths: every field of every kind, read off the schema', () => {
  const paths = setupPaths();
  for (const p of ['seed', 'optim.lr', 'optim.maxSteps', 'predictor', 'predictor.kind', 'predictor.rho', 'predictor.hidden', 'predictor.symmetric', 'encoder.widths', 'data.synthetic.classes', 'eval.knnK']) {
    assert.ok(paths.has(p), p);
    assert.equal(setupPathIssue(p), null, p);
  }
  for (const p of ['optim.lrr', 'optim.lr.x', 'bogus', 'data.x', 'predictor.kind.x']) assert.match(setupPathIssue(p)!, /not a setup field/, p);
  for (const p of ['__proto__', '__proto__.NODE_OPTIONS', 'constructor.prototype.polluted', 'optim.__proto__', 'predictor.constructor', 'a.prototype']) {
    assert.match(setupPathIssue(p)!, /may not appear in a field path/, p);
  }
  assert.match(setupPathIssue('')!, /empty/);
});

test('the one schema walk: each field once per union branch, with its branches; the index, the CSV columns and the forms read it', () => {
  const met: SetupSchemaField[] = [];
  walkSetupSchema((f) => met.push(f));
  const at = (path: string) => met.filter((f) => f.path === path);
  // ρ lives in the DirectPred, DirectCopy and optimal branches of the predictor union, nowhere else.
  assert.deepEqual(at('predictor.rho').map((f) => f.branches), [[{ at: 'predictor', kind: 'directpred' }], [{ at: 'predictor', kind: 'directcopy' }], [{ at: 'predictor', kind: 'optimal' }]]);
  assert.equal(at('predictor.kind').length, 6);
  assert.deepEqual(at('data.synthetic.channels').map((f) => f.branches), [[]]);
  assert.equal(at('optim.lr')[0]!.node.type, 'number');
  assert.equal(at('optim.lr')[0]!.required, false, 'a field with a default is not required as written');
  assert.deepEqual(new Set(met.map((f) => f.path)), setupPaths());
  // The runs CSV's setup columns are the walk's leaves (groups like `optim` or `data.synthetic` are not columns).
  for (const c of SETUP_COLUMNS) assert.ok(!met.some((f) => f.path.startsWith(`${c}.`)), c);
  for (const p of ['optim.lr', 'predictor.rho', 'encoder.widths', 'data.synthetic.channels']) assert.ok(SETUP_COLUMNS.includes(p), p);
  for (const g of ['optim', 'predictor', 'data.synthetic', 'name']) assert.ok(!SETUP_COLUMNS.includes(g), g);
});

test('setAtPath refuses prototype keys and leaves Object.prototype untouched; getAtPath reads own fields only', () => {
  for (const p of ['__proto__.NODE_OPTIONS', 'constructor.prototype.NODE_OPTIONS', 'optim.__proto__.x', 'prototype']) {
    assert.throws(() => setAtPath({}, p, '--import=data:text/javascript,0'), (e: unknown) => e instanceof SetupError && /may not appear/.test((e as Error).message), p);
  }
  assert.equal(Object.hasOwn(Object.prototype, 'NODE_OPTIONS'), false);
  assert.equal(({} as Record<string, unknown>).NODE_OPTIONS, undefined);
  assert.equal(getAtPath({}, 'constructor'), undefined, 'inherited members are not fields');
  assert.equal(getAtPath({ a: {} }, 'a.toString'), undefined);
  assert.equal(getAtPath({ a: { b: 2 } }, 'a.b'), 2);
  // A JSON document may carry "__proto__" as an own key: it is data, and the copy keeps it as data.
  const fromJson = JSON.parse('{"__proto__": {"x": 1}, "optim": {"lr": 0.1}}') as object;
  const copy = setAtPath(fromJson, 'optim.momentum', 0.5) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.deepEqual(copy.optim, { lr: 0.1, momentum: 0.5 });
});

test('every nested object of a setup is strict: unknown keys are refused with their full path', () => {
  const cases: [unknown, string][] = [
    [{ optim: { bogus: 1 } }, 'optim.bogus'],
    [{ predictor: { kind: 'directpred', hidden: 64 } }, 'predictor.hidden'],
    [{ predictor: { kind: 'none', rho: 0.3 } }, 'predictor.rho'],
    [{ data: { x: 1 } }, 'data.x'],
    [{ data: { synthetic: { size: 28, colour: true } } }, 'data.synthetic.colour'],
    [{ encoder: { kind: 'resnet18', widths: [8] } }, 'encoder.widths'],
    [{ eval: { knn: 5 } }, 'eval.knn'],
    [{ augment: { blur: 0.5 } }, 'augment.blur'],
    [{ projector: { out: 64, hiden: 32 } }, 'projector.hiden'],
    [{ optimizer: {} }, 'optimizer'],
  ];
  for (const [raw, path] of cases) {
    const r = checkSetup(raw);
    assert.equal(r.ok, false, JSON.stringify(raw));
    assert.ok(!r.ok && r.issues.some((i) => i.path === path && /unknown field/.test(i.message)), `${JSON.stringify(raw)} → ${JSON.stringify(!r.ok && r.issues)}`);
  }
  // Everything the lab itself ships still validates.
  for (const p of SETUP_PRESETS) assert.equal(checkSetup(p.setup).ok, true, p.id);
  assert.equal(checkSetup(QUICK_SETUP).ok, true);
  for (const f of readdirSync('examples').filter((n) => n.endsWith('.json'))) {
    const doc = JSON.parse(readFileSync(`examples/${f}`, 'utf8')) as { base?: unknown };
    const r = checkSetup(doc.base ?? doc);
    assert.equal(r.ok, true, `${f}: ${JSON.stringify(!r.ok && r.issues)}`);
  }
});

test('choosing another kind drops the fields the new kind lacks; other fields are kept', () => {
  const base = { predictor: { kind: 'directpred', rho: 0.5, eps: 0.2, freq: 2, bias: true }, optim: { lr: 0.1 } };
  const lin = setSetupField(base, 'predictor.kind', 'linear');
  assert.deepEqual(lin.predictor, { kind: 'linear', bias: true });
  assert.equal(checkSetup(lin).ok, true);
  const dc = setSetupField(base, 'predictor.kind', 'directcopy');
  assert.deepEqual(dc.predictor, { kind: 'directcopy', rho: 0.5, eps: 0.2, freq: 2 });
  assert.deepEqual(setSetupField(base, 'predictor.kind', 'none').predictor, { kind: 'none' });
  assert.deepEqual(base.predictor.kind, 'directpred', 'the input is not mutated');
  assert.deepEqual(setSetupField({ encoder: { kind: 'convnet', widths: [8] } }, 'encoder.kind', 'resnet18').encoder, { kind: 'resnet18' });
  // An unknown kind is left for validation to name.
  assert.equal(checkSetup(setSetupField(base, 'predictor.kind', 'oracle')).ok, false);
});

test('trainers get an explicit environment: own variables only, nothing inherited through a prototype', () => {
  const proto = { NODE_OPTIONS: '--import=data:text/javascript,0', INHERITED: 'x' };
  const source = Object.assign(Object.create(proto) as NodeJS.ProcessEnv, { PATH: '/usr/bin', HOME: '/root' });
  const env = trainerEnv(source);
  assert.deepEqual(Object.keys(env).sort(), ['HOME', 'PATH']);
  assert.equal(Object.getPrototypeOf(env), null);
  // for…in is how child_process copies the environment: it must see nothing inherited.
  const seen: string[] = [];
  for (const k in env) seen.push(k);
  assert.deepEqual(seen.sort(), ['HOME', 'PATH']);
  assert.equal(trainerEnv({ A: 'a', B: undefined }).B, undefined);
});
