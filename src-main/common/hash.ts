/** The setup hash recorded with every run and checked by checkpoints; browser-safe, so any side can compute it. */
import { sha256Hex } from '../math/sha256.ts';
import { canonicalJson, earlierSetupForms, type Setup } from './setup.ts';

function hashOf(setup: object): string {
  const { name: _name, ...rest } = setup as { name?: unknown };
  return sha256Hex(canonicalJson(rest));
}

/** sha256 hex of the setup's canonical JSON, without its display name: equal setups, equal hashes. */
export function setupHash(setup: Setup): string {
  return hashOf(setup);
}

/**
 * The hash of the setup now, then the hashes it had under earlier schema versions (when it can be
 * written there): a checkpoint taken before an upgrade names the setup by its hash of then.
 */
export function setupHashes(setup: Setup): string[] {
  return [hashOf(setup), ...earlierSetupForms(setup).map(hashOf)];
}
