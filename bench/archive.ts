/**
 * Archive benchmark (`npm run bench -- archive`):
 *  1. metric rows ingested per second through the trainer → writer path: a child process speaking
 *     the trainer protocol (same port, batcher and IPC as trainer-process.ts) streams scalars
 *     events as fast as it can; the real RunManager writes them into the archive;
 *  2. time to load a 100k-point metric history (and the whole 5-metric history of that run);
 *  3. time to list an archive of 1,000 runs (full records), and to open it (header + quick_check).
 * Options: --steps N (ingest steps, default 100000), --values K (metrics per step, default 8).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv.includes('--feeder')) await feeder();
else await main();

/** The trainer side: emits `steps` scalars events of `values` metrics each, batched like a trainer. */
async function feeder(): Promise<void> {
  const { parentPort } = await import('../src-main/runs/port.ts');
  const { EventBatcher } = await import('../src-main/runs/batcher.ts');
  type In = import('../src-main/runs/protocol.ts').ToTrainer;
  type Out = import('../src-main/runs/protocol.ts').FromTrainer;
  const port = parentPort<In, Out>();
  const steps = option('steps', 100_000);
  const k = option('values', 8);
  port.onMessage(async (msg) => {
    if (msg.type !== 'start') return;
    let last: Promise<void> = Promise.resolve();
    const b = new EventBatcher((events) => (last = port.send({ type: 'events', events })), msg.batchMs, msg.batchMax);
    for (let s = 1; s <= steps; s++) {
      const values: Record<string, number> = {};
      for (let j = 0; j < k; j++) values[`m${j}`] = Math.sin(s * (j + 1));
      b.push({ type: 'scalars', step: s, epoch: s / 1000, values });
      if (s % 1000 === 0) await new Promise((r) => setImmediate(r)); // like the trainer: yield between steps
    }
    b.push({ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: 'bench', backend: 'none', steps, epochs: steps / 1000, finalLoss: 0, collapseStd: null, effectiveRank: null, probeAcc: null, knnAcc: null, imagesPerSec: null, wallSec: 0 } });
    b.flush();
    await last;
    await port.send({ type: 'done', summary: { outcome: 'completed', setupHash: 'bench', backend: 'none', steps, epochs: steps / 1000, finalLoss: 0, collapseStd: null, effectiveRank: null, probeAcc: null, knnAcc: null, imagesPerSec: null, wallSec: 0 } });
    process.exit(0);
  });
}

async function main(): Promise<void> {
  const { openArchive, verifyArchiveFile } = await import('../src-main/archive/archive.ts');
  const { RunManager } = await import('../src-main/runs/manager.ts');
  const { parseSetup } = await import('../src-main/common/setup.ts');
  const dir = mkdtempSync(join(tmpdir(), 'dplab-bench-archive-'));
  const steps = option('steps', 100_000);
  const k = option('values', 8);
  const self = fileURLToPath(import.meta.url);
  const ms = (t0: number) => performance.now() - t0;

  // 1. Ingest through the manager.
  const file = join(dir, 'ingest.sqlite');
  const archive = openArchive(file);
  const manager = new RunManager(archive, {
    concurrency: 1,
    launch: () => {
      const child = fork(self, ['--feeder', '--steps', String(steps), '--values', String(k)], { execArgv: ['--import', import.meta.resolve('tsx')], serialization: 'advanced' });
      return {
        pid: child.pid!,
        port: {
          send: (m) => new Promise((res, rej) => child.send(m as object, (e) => (e ? rej(e) : res()))),
          onMessage: (h) => child.on('message', (m) => h(m as never)),
          onClose: (h) => child.once('disconnect', h),
          close: () => child.disconnect(),
        },
        kill: (sig) => child.kill(sig),
        onExit: (h) => child.once('exit', (c, s) => h(c, s, '')),
      };
    },
  });
  let firstEvent = 0;
  manager.on('event', () => (firstEvent ||= performance.now()));
  const t0 = performance.now();
  const uuid = manager.submit(parseSetup({ name: 'bench' }));
  const r = await manager.waitFor(uuid);
  const total = ms(t0);
  const streaming = performance.now() - firstEvent;
  await manager.close();
  const rows = archive.counts().metrics;
  if (r.status !== 'completed' || rows !== steps * k) throw new Error(`ingest bench: status ${r.status}, ${rows} rows (expected ${steps * k})`);
  console.log(`ingest: ${rows} metric rows (${steps} steps × ${k}) in ${(total / 1000).toFixed(2)} s incl. process start = ${Math.round(rows / (total / 1000))} rows/s; ` +
    `${Math.round(rows / (streaming / 1000))} rows/s from first batch to end`);

  // 2. Load a 100k-point history.
  const hist = openArchive(join(dir, 'history.sqlite'));
  const h = hist.createRun({ setup: {}, setupHash: 'h', seed: 0 });
  const names = ['loss', 'collapseStd', 'imagesPerSec', 'lr', 'effectiveRank'];
  const batch: import('../src-main/common/events.ts').TrainerEvent[] = [];
  for (let s = 1; s <= 100_000; s++) {
    batch.push({ type: 'scalars', step: s, epoch: s / 400, values: Object.fromEntries(names.map((n, j) => [n, Math.cos(s * (j + 1))])) });
    if (batch.length === 5000) hist.appendEvents(h.uuid, batch.splice(0));
  }
  hist.close();
  const hist2 = openArchive(join(dir, 'history.sqlite'));
  let t = performance.now();
  const one = hist2.getMetrics(h.uuid, ['loss']);
  const tOne = ms(t);
  t = performance.now();
  const all = hist2.getMetrics(h.uuid);
  const tAll = ms(t);
  if (one[0]!.steps.length !== 100_000 || all.length !== 5) throw new Error('history bench: wrong sizes');
  console.log(`history: load 100k points of one metric ${tOne.toFixed(0)} ms; all 5 metrics (500k points) ${tAll.toFixed(0)} ms`);
  hist2.close();

  // 3. List 1,000 runs.
  const listFile = join(dir, 'list.sqlite');
  const la = openArchive(listFile);
  const setup = parseSetup({});
  la.transaction(() => {
    for (let i = 0; i < 1000; i++) {
      const run = la.createRun({ name: `run ${i}`, setup: { ...setup, seed: i } as unknown as Record<string, unknown>, setupHash: `h${i}`, seed: i, createdAt: 1e12 + i });
      la.appendEvents(run.uuid, [
        { type: 'scalars', step: 1, epoch: 0, values: { loss: 1 } },
        { type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: `h${i}`, backend: 'wasm', steps: 1, epochs: 1, finalLoss: 1, collapseStd: 0.8, effectiveRank: 5, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 100, wallSec: 1 } },
      ]);
      if (i % 3 === 0) la.addTags(run.uuid, ['a', 'b']);
    }
  });
  la.close();
  t = performance.now();
  verifyArchiveFile(listFile);
  const tVerify = ms(t);
  t = performance.now();
  const lb = openArchive(listFile);
  const tOpen = ms(t);
  t = performance.now();
  const listed = lb.listRuns();
  const tList = ms(t);
  t = performance.now();
  lb.listRuns();
  const tList2 = ms(t);
  if (listed.length !== 1000) throw new Error('list bench: wrong count');
  lb.close();
  console.log(`list: 1,000 runs ${tList.toFixed(0)} ms (again ${tList2.toFixed(0)} ms); open ${tOpen.toFixed(0)} ms incl. quick_check ${tVerify.toFixed(0)} ms`);
  archive.close();
  t = performance.now();
  verifyArchiveFile(file);
  console.log(`open check (header + quick_check) of the ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB ingest archive: ${ms(t).toFixed(0)} ms`);
  rmSync(dir, { recursive: true, force: true });
}
