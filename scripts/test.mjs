#!/usr/bin/env node
// The test command of the README: `npm run check`, then every test/**/*.test.ts file under node's
// test runner, through tsx (`npm test -- <substring>` runs only matching files, without the check).
//
// Files run as separate processes, two at a time (the machines have two cores), in one queue with
// the check and the renderer build so no core idles while those single-threaded steps run, plus
// one file at a time from those tagged `// npm test: mostly waits` (see WAIT_LANES):
// - the renderer (dist/renderer) is built here once, before any file that loads it starts; the UI
//   harness only checks that it is fresh, so parallel files never race to build the same folder;
// - each file's wall time is recorded in test-durations.json (gitignored), the slowest ten are
//   printed at the end, and the next run starts the slowest files first (the longest jobs first
//   keeps the two lanes evenly loaded to the end); a file this checkout has not timed yet is placed
//   by test/durations-prior.json, committed times from a quiet clean-clone run, so a fresh clone
//   (every CI run) does not start alphabetically and leave its longest file running alone at the end.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rendererBuildProblem } from './renderer-build.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DURATIONS = join(ROOT, 'test-durations.json');
const PRIOR = join(ROOT, 'test', 'durations-prior.json');
const LANES = 2;
/**
 * A third lane, for files whose header carries the line `// npm test: mostly waits (why)`: files
 * that spend most of their wall time waiting (on a browser page, on the Slurm scheduler) rather
 * than computing, so one of them beside two computing files fills time the cores would idle.
 * The tag is explicit, and earned by a measurement (CPU seconds well under the file's wall time):
 * a computing file in this lane would only take time from the other two.
 */
const WAIT_LANES = 1;
const WAITS_TAG = /^\/\/ npm test: mostly waits\b/m;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Seconds each file took last time it ran ({} when there is no record or it cannot be read). */
function readDurations(file = DURATIONS) {
  try {
    const d = JSON.parse(readFileSync(file, 'utf8'));
    return d && typeof d === 'object' && !Array.isArray(d) ? d : {};
  } catch {
    return {};
  }
}

const filter = process.argv.slice(2);
let files = collect(join(ROOT, 'test')).map((f) => f.slice(ROOT.length));
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const previous = readDurations();
/** Committed seconds per file (test/durations-prior.json) for files this checkout has not timed. */
const prior = readDurations(PRIOR);
const expected = (f) => previous[f]?.seconds ?? (Object.hasOwn(prior, f) && typeof prior[f] === 'number' ? prior[f] : Infinity);
// Files timed nowhere first (they may be long), then the slowest first.
files.sort((a, b) => expected(b) - expected(a) || a.localeCompare(b));
/**
 * A file loads the built renderer when it uses the UI harness or starts `dplab serve` (which serves
 * dist/renderer, and would build it itself, racing this build, were it missing).
 */
const usesRenderer = (f) => /harness\.ts['"]|startServe\(|['"]serve['"]/.test(readFileSync(join(ROOT, f), 'utf8'));

/** @type {{ name: string, cmd: string, args: string[], gate?: string, needs?: string, file?: string, waits?: boolean }[]} */
const tasks = [];
// The whole suite starts with the type checks (tsx strips types, so only these catch a type error):
// tsc over main, shell, tests and benches, ESLint, and svelte-check over the renderer, 0 errors, 0 warnings.
if (filter.length === 0) tasks.push({ name: 'npm run check', cmd: npm, args: ['run', '--silent', 'check'], gate: 'check' });
const renderer = files.some(usesRenderer) ? rendererBuildProblem() : null;
if (renderer) tasks.push({ name: `npm run build:renderer (${renderer})`, cmd: npm, args: ['run', '--silent', 'build:renderer'], gate: 'renderer' });
/** Whether the file is tagged as one that mostly waits (WAIT_LANES). */
const mostlyWaits = (f) => WAITS_TAG.test(readFileSync(join(ROOT, f), 'utf8'));
for (const f of files) {
  tasks.push({ name: f, file: f, cmd: process.execPath, args: ['--import', 'tsx', '--test-reporter=spec', f], ...(renderer && usesRenderer(f) ? { needs: 'renderer' } : {}), ...(mostlyWaits(f) ? { waits: true } : {}) });
}

/** Adds one file's time to test-durations.json as soon as it ends, so a stopped run keeps what it measured. */
function record(r) {
  const all = readDurations();
  all[r.task.file] = { seconds: Math.round(r.seconds * 10) / 10, ok: r.ok, at: new Date().toISOString() };
  writeFileSync(DURATIONS, JSON.stringify(all, null, 2) + '\n');
}

const single = tasks.length === 1;
/** Lines of a failed file's output repeated at the end. */
const TAIL = 150;
// Each lane is one core: a file's runs default to one wasm thread (DPLAB_CORES=1) unless the caller
// set it. A second thread beside a busy second lane only spins: it cost a training file up to 2.5x
// its CPU time on our 2-core machine. Files that check the default share of the machine's cores
// drop the hint themselves.
const env = { ...process.env, DPLAB_CORES: process.env.DPLAB_CORES ?? '1', ...(process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {}) };
/** Gates done: name → null when it passed, else why it failed. */
const gates = new Map();
const results = [];
/** Tasks running in the two lanes, and in the lane of files that mostly wait. */
let running = 0;
let waiting = 0;
let stopped = null;
const t0 = Date.now();

function run(task) {
  return new Promise((resolve) => {
    const start = Date.now();
    const child = spawn(task.cmd, task.args, { cwd: ROOT, env, stdio: single ? 'inherit' : ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' && task.cmd === npm });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    child.on('error', (e) => (out += `\ncould not start ${task.cmd}: ${e.message}\n`));
    child.on('close', (code, signal) => {
      const seconds = (Date.now() - start) / 1000;
      const ok = code === 0;
      if (!single) process.stdout.write(`\n── ${ok ? 'ok' : 'FAILED'} ${task.name} (${seconds.toFixed(1)} s) ──\n${out}`);
      resolve({ task, ok, seconds, out: ok ? '' : out, why: ok ? null : `${task.name} exited ${code ?? signal}` });
    });
  });
}

/**
 * The next task a free lane takes (its index in `tasks`, or -1): the first whose gate is open (a
 * file that needs the renderer waits for its build). The waiting lane takes only tagged files; the
 * two lanes take untagged ones first, then tagged ones once no untagged task is left to run.
 */
function pick(lane) {
  const ready = (t) => !t.needs || gates.has(t.needs);
  if (lane === 'waits') return tasks.findIndex((t) => t.waits && ready(t));
  const i = tasks.findIndex((t) => !t.waits && ready(t));
  return i >= 0 || tasks.some((t) => !t.waits) ? i : tasks.findIndex(ready);
}

await new Promise((done) => {
  const next = () => {
    if (stopped && running + waiting === 0) return done();
    for (;;) {
      if (stopped) break;
      const lane = waiting < WAIT_LANES && pick('waits') >= 0 ? 'waits' : running < LANES ? 'lanes' : null;
      const i = lane ? pick(lane) : -1;
      if (i < 0) break;
      const [task] = tasks.splice(i, 1);
      const blocked = task.needs ? gates.get(task.needs) : null;
      if (blocked) {
        results.push({ task, ok: false, seconds: 0, why: `${task.name} not run: ${blocked}` });
        continue;
      }
      if (lane === 'waits') waiting++;
      else running++;
      run(task).then((r) => {
        if (lane === 'waits') waiting--;
        else running--;
        results.push(r);
        if (r.task.file) record(r);
        if (r.task.gate) gates.set(r.task.gate, r.ok ? null : r.why);
        if (r.task.gate === 'check' && !r.ok) stopped = 'npm run check failed: fix the type errors and warnings above first';
        next();
      });
    }
    if (running + waiting === 0 && (stopped || tasks.length === 0)) done();
  };
  next();
});

const timed = results.filter((r) => r.task.file && r.seconds > 0);
const failed = results.filter((r) => !r.ok);
const wall = (Date.now() - t0) / 1000;
console.log(`\n${results.length} of ${results.length + tasks.length} tasks run in ${wall.toFixed(0)} s (${LANES} at a time, and ${WAIT_LANES} of the files that mostly wait beside them); slowest files (all times in ${DURATIONS}):`);
for (const r of [...timed].sort((a, b) => b.seconds - a.seconds).slice(0, 10)) console.log(`  ${r.seconds.toFixed(1).padStart(7)} s  ${r.task.file}${r.ok ? '' : '  (failed)'}`);
if (stopped) console.error(stopped);
if (failed.length) {
  console.error(`\n${failed.length} failed:`);
  for (const r of failed) console.error(`  ${r.why}`);
  // Logs keep their end: repeat each failed file's last lines here, where its failure is read first.
  for (const r of failed.filter((f) => f.out)) {
    const lines = r.out.trimEnd().split('\n');
    console.error(`\n── the last ${Math.min(lines.length, TAIL)} lines of ${r.task.name} ──\n${lines.slice(-TAIL).join('\n')}`);
  }
}
process.exit(stopped || failed.length ? 1 : 0);
