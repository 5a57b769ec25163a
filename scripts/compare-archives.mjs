#!/usr/bin/env node
// Whether two archives hold the same results: `node scripts/compare-archives.mjs OLD.sqlite NEW.sqlite`.
// Every completed run of NEW is matched by name with a completed run of OLD; their summaries
// (final loss, probe and kNN accuracy, collapse std, effective rank, the random-init baseline) and
// their loss at every step must be equal to the last digit. Prints each difference and a count;
// exits 1 when any run differs or has no namesake. Both files are opened read-only.
import Database from 'better-sqlite3';

const [oldPath, newPath] = process.argv.slice(2);
if (!oldPath || !newPath) {
  console.error('usage: node scripts/compare-archives.mjs OLD.sqlite NEW.sqlite');
  process.exit(2);
}
const open = (path) => {
  try {
    return new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    console.error(`compare-archives: cannot open ${path}: ${e.message}`);
    process.exit(2);
  }
};
const oldDb = open(oldPath);
const newDb = open(newPath);
const FIELDS = ['finalLoss', 'probeAcc', 'knnAcc', 'collapseStd', 'effectiveRank', 'baseline'];

/** Completed runs by name (a Map, so no run name reaches an object's prototype). */
function runs(db) {
  const out = new Map();
  for (const r of db.prepare("SELECT id, name, summary_json FROM runs WHERE status = 'completed'").all()) out.set(r.name, { id: r.id, summary: JSON.parse(r.summary_json ?? 'null') ?? {} });
  return out;
}
const lossOf = (db) => {
  const q = db.prepare("SELECT m.step, m.value FROM metrics m JOIN metric_names k ON k.id = m.name_id WHERE m.run_id = ? AND k.name = 'loss' ORDER BY m.step");
  return (id) => JSON.stringify(q.raw().all(id));
};
const oldRuns = runs(oldDb);
const newRuns = runs(newDb);
const oldLoss = lossOf(oldDb);
const newLoss = lossOf(newDb);
let same = 0;
let differ = 0;
for (const [name, run] of [...newRuns].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const before = oldRuns.get(name);
  if (!before) {
    differ++;
    console.log(`${name}: not in ${oldPath}`);
    continue;
  }
  const diffs = FIELDS.filter((f) => JSON.stringify(before.summary[f]) !== JSON.stringify(run.summary[f])).map((f) => `${f} ${JSON.stringify(before.summary[f])} → ${JSON.stringify(run.summary[f])}`);
  if (oldLoss(before.id) !== newLoss(run.id)) diffs.push('the loss series');
  if (diffs.length) {
    differ++;
    console.log(`${name}: ${diffs.join('; ')}`);
  } else same++;
}
console.log(`${same} of ${newRuns.size} runs identical to their namesakes, ${differ} not`);
process.exitCode = differ > 0 || newRuns.size === 0 ? 1 : 0;
