/**
 * A run's default name, read off its setup: the predictor kind, the fields that differ from the
 * preset (or loaded setup) it started from, and the seed — so two runs started one after the other
 * never share a name unless their setups agree, and a name never describes another run's setup.
 */
import { differingFields, shortPath } from './diff.ts';
import { formatValue } from './format.ts';
import { getAtPath } from '../../../src-main/common/setup.ts';

/** Most fields a default name lists before "+N more" (names stay readable in tables). */
const MAX_FIELDS = 3;

/**
 * "directpred · lr=0.05 · seed 1": kind first (with "symmetric" for a symmetric linear W_p), then up
 * to three fields that differ from `base`, then the seed. Kind and seed are left out of the list of
 * differences since they always show.
 */
export function defaultRunName(setup: unknown, base: unknown): string {
  const kind = String(getAtPath(setup, 'predictor.kind') ?? 'predictor');
  const sym = kind === 'linear' && getAtPath(setup, 'predictor.symmetric') === true ? ' symmetric' : '';
  const method = getAtPath(setup, 'method') === 'simsiam' ? ' (no EMA)' : '';
  const diffs = differingFields([base, setup]).filter((p) => p !== 'predictor.kind' && p !== 'seed' && p !== 'method' && p !== 'predictor.symmetric');
  const parts = [`${kind}${sym}${method}`];
  for (const p of diffs.slice(0, MAX_FIELDS)) parts.push(`${shortPath(p)}=${formatValue(getAtPath(setup, p))}`);
  if (diffs.length > MAX_FIELDS) parts.push(`+${diffs.length - MAX_FIELDS} more`);
  parts.push(`seed ${formatValue(getAtPath(setup, 'seed') ?? 0)}`);
  return parts.join(' · ');
}
