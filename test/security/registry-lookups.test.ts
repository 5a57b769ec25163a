/**
 * Registry lookups by a user's key (issue 21, item 7): theory presets and simulation kinds were
 * looked up as `obj[key]`, so `constructor` found Object and answered with a bogus result and
 * `toString` ran Object.prototype.toString ("[object Undefined]"); `dplab constructor` tried to load
 * Object as a command. Every registry reachable from the contract or the CLI — theory presets and
 * kinds, claims, dataset formats, datasets, commands, executors, backends, export targets — must
 * answer the names of Object.prototype's members with a clear "unknown …" error.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import { presetNamed, runPreset, runSimulation } from '../../src-main/theory/presets.ts';
import { armSetup, type ArmId } from '../../src-main/reproduce/claims.ts';
import { evaluateTheory } from '../../src-main/reproduce/verdict.ts';
import { selectClaims } from '../../src-main/runs/reproduce.ts';
import '../../src-main/data/formats/index.ts';
import { getFormat } from '../../src-main/data/formats/registry.ts';
import { loadDataset } from '../../src-main/data/index.ts';
import { isExecutorKind } from '../../src-main/runs/executor-registry.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { ROOT, TINY_SETUP } from '../server/helpers.ts';
import { dplabInProcess } from '../cli/in-process.ts';

/** Names that live on Object.prototype (or are its accessor): each must be an unknown name everywhere. */
const KEYS = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

let dir: string;
let service: LabService;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-registry-'));
  mkdirSync(join(dir, 'folder'));
  service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'ipc', concurrency: 1, dataDir: join(dir, 'data') });
});
after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

function refused(r: ServiceReply, want: RegExp, what: string): void {
  assert.equal(r.ok, false, `${what}: expected an error, got ${JSON.stringify(r).slice(0, 300)}`);
  if (!r.ok) {
    assert.ok(['invalid-args', 'failed'].includes(r.error.code), `${what}: ${r.error.code}`);
    assert.match(r.error.message, want, what);
  }
}

test('in-process lookups: presets, simulation kinds, arms, theory checks, claims, formats, datasets, executors', async () => {
  for (const k of KEYS) {
    assert.equal(presetNamed(k), undefined, k);
    assert.throws(() => runPreset(k), new RegExp(`unknown preset '${k}' \\(known: fig`), k);
    assert.throws(() => runSimulation({ kind: k as never, params: {} }), new RegExp(`unknown kind "${k}" \\(known: modes`), k);
    assert.throws(() => armSetup(k as ArmId, 0), new RegExp(`unknown arm '${k}'`), k);
    assert.throws(() => evaluateTheory({ kind: 'theory', id: 'x', compute: k } as never), new RegExp(`no computation '${k}'`), k);
    assert.throws(() => selectClaims([k]), new RegExp(`unknown claim\\(s\\) '${k}'`), k);
    assert.throws(() => getFormat(k), new RegExp(`unknown dataset format '${k}'`), k);
    assert.equal(isExecutorKind(k), false, k);
    const setup = parseSetup({ ...TINY_SETUP, data: { dataset: k } });
    await assert.rejects(loadDataset(setup.data, { cacheDir: join(dir, 'data') }), new RegExp(`data\\.dataset '${k}' is unknown`), k);
  }
});

test('through the contract: theory.run (preset, kind, params.preset), reproduce.run, datasets.import format', async () => {
  for (const k of KEYS) {
    refused(await service.handle('theory.run', { preset: k }), new RegExp(`unknown preset '${k}'`), `theory.run preset ${k}`);
    refused(await service.handle('theory.run', { params: { kind: k, params: {} } }), new RegExp(`unknown kind "${k}"`), `theory.run kind ${k}`);
    refused(await service.handle('theory.run', { params: { preset: k } }), new RegExp(`unknown preset '${k}'`), `theory.run params.preset ${k}`);
    refused(await service.handle('reproduce.run', { claims: [k] }), new RegExp(`unknown claim\\(s\\) '${k}'`), `reproduce.run ${k}`);
    refused(await service.handle('datasets.import', { path: join(dir, 'folder'), format: k }), new RegExp(`unknown dataset format '${k}'`), `datasets.import ${k}`);
    refused(await service.handle('runs.start', { setup: { ...TINY_SETUP, predictor: { kind: k } } }), /predictor\.kind/, `runs.start predictor ${k}`);
  }
});

test('through the real CLI: commands, theory presets and kinds, executors, backends, export targets, claims, formats', async () => {
  const params = join(dir, 'params.json');
  const sweep = join(dir, 'sweep.json');
  writeFileSync(sweep, JSON.stringify({ base: TINY_SETUP, axes: { 'optim.lr': [0.01] } }));
  const setup = join(dir, 'setup.json');
  writeFileSync(setup, JSON.stringify(TINY_SETUP));
  const env = { DPLAB_DATA_DIR: join(dir, 'cli-data') };
  // The command name itself goes through the real executable; the rest through main() in this process.
  const dplab = async (args: string[]) => {
    if (args.length > 1) return dplabInProcess(args, env);
    const r = spawnSync(process.execPath, ['bin/dplab.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
    return { code: r.status, err: r.stderr };
  };
  for (const k of ['constructor', 'toString', '__proto__']) {
    writeFileSync(params, JSON.stringify({ kind: k, params: {} }));
    const cases: [string[], RegExp][] = [
      [[k], new RegExp(`unknown command '${k}'`)],
      [['theory', k], new RegExp(`'${k}' is neither a preset`)],
      [['theory', params], new RegExp(`unknown kind "${k}"`)],
      [['sweep', sweep, '--executor', k, '--dry-run'], new RegExp(`unknown executor '${k}'`)],
      [['run', setup, '--backend', k, '--no-archive'], new RegExp(`unknown backend '${k}'`)],
      [['export', k, sweep], new RegExp(`unknown target '${k}'`)],
      [['reproduce', 'run', k], new RegExp(`unknown claim\\(s\\) '${k}'`)],
      [['data', 'import', join(dir, 'folder'), '--format', k], new RegExp(`unknown dataset format '${k}'`)],
    ];
    for (const [args, want] of cases) {
      const r = await dplab(args);
      assert.ok(r.code === 1 || r.code === 2, `dplab ${args.join(' ')}: exit ${r.code}\n${r.err}`);
      assert.match(r.err, want, `dplab ${args.join(' ')}`);
      assert.doesNotMatch(r.err, /is not a function|Cannot read properties|\[object /, `dplab ${args.join(' ')}`);
    }
  }
});
