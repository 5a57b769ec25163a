/**
 * The lab's version, recorded with every run and reported by the service: read from package.json
 * at build time (a JSON import), so the trainer, the service and the packaged app agree.
 */
import pkg from '../../package.json' with { type: 'json' };

/** package.json's version ('0.0.0' if it has none). */
export const APP_VERSION: string = (pkg as { version?: string }).version ?? '0.0.0';
