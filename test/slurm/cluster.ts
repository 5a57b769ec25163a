// The real one-node Slurm cluster the Slurm tests run against (scripts/slurm-test-cluster.sh).
// Outside CI a machine without it (no packages, not root) skips those tests with the reason; under
// CI=true a missing cluster is a failure, never a skip.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/slurm-test-cluster.sh', import.meta.url));

/** True when this runs in CI (CI=true or 1, as CI systems set it). */
export const IN_CI = /^(true|1)$/i.test(process.env.CI ?? '');

function answers(): boolean {
  const r = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && /^(idle|mix|alloc)/m.test(r.stdout);
}

/** Starts the cluster when needed; returns null when it answers, else why it cannot be had here. */
export function ensureCluster(): string | null {
  if (answers()) return null;
  const r = spawnSync(script, ['start'], { encoding: 'utf8', timeout: 90_000 });
  if (r.status === 0 && answers()) return null;
  const why = (r.stderr || r.stdout || r.error?.message || '').trim().split('\n').pop();
  return `no Slurm test cluster (scripts/slurm-test-cluster.sh start: ${why || `exit ${r.status}`})`;
}

/** The cluster's state for a test file: `skip` is the reason outside CI, false in CI (where `problem` fails the tests). */
export function clusterForTests(): { problem: string | null; skip: string | false } {
  const problem = ensureCluster();
  return { problem, skip: problem && !IN_CI ? problem : false };
}
