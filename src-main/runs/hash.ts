/**
 * The setup hash, as the engine defines it: sha256 hex of canonicalJson(setup without `name`).
 * Local until src-main/engine/hash.ts exports `setupHash`; the definition is the same.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../engine/setup.ts';

/** sha256 hex of the canonical JSON of the setup without its `name` (names do not change results). */
export function setupHash(setup: object): string {
  const { name: _name, ...rest } = setup as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
