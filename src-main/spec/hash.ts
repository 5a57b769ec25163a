/** The setup hash recorded with every run and checked by checkpoints; browser-safe, so any side can compute it. */
import { sha256Hex } from '../math/sha256.ts';
import { canonicalJson, type Setup } from './setup.ts';

/** sha256 hex of the setup's canonical JSON, without its display name: equal setups, equal hashes. */
export function setupHash(setup: Setup): string {
  const { name: _name, ...rest } = setup;
  return sha256Hex(canonicalJson(rest));
}
