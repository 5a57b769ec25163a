/** Content hashes recorded with runs (Node only: the renderer never hashes). */
import { createHash } from 'node:crypto';
import { canonicalJson, type Setup } from '../spec/setup.ts';

/** sha256 hex of the setup's canonical JSON, without its display name: equal setups, equal hashes. */
export function setupHash(setup: Setup): string {
  const { name: _name, ...rest } = setup;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
