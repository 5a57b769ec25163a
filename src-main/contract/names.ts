/**
 * The names of every contract request, without zod, so the sandboxed Electron preload (bundled on
 * its own) can expose one function per request without carrying the schemas. index.ts checks at
 * compile time that this list and `Requests` name the same requests.
 */
/** Version of the contract; the client refuses a server that speaks another one. */
export const CONTRACT_VERSION = 1;

/** Every request name, in the order of `Requests`. */
export const REQUEST_NAMES = [
  'app.info',
  'setup.validate',
  'setup.defaults',
  'presets.list',
  'runs.start',
  'runs.cancel',
  'runs.resume',
  'runs.delete',
  'runs.list',
  'runs.get',
  'runs.metrics',
  'runs.spectra',
  'runs.evals',
  'runs.projections',
  'runs.tag',
  'runs.note',
  'runs.export',
  'sweeps.preview',
  'sweeps.start',
  'sweeps.list',
  'sweeps.get',
  'sweeps.addSeeds',
  'theory.presets',
  'theory.run',
  'jobs.cancel',
  'reproduce.results',
  'reproduce.run',
  'reproduce.report',
  'datasets.list',
  'datasets.import',
  'archive.info',
  'archive.open',
  'archive.import',
  'backends.list',
  'estimate.time',
] as const;

/** IPC channel of requests (renderer → main, invoke/handle). */
export const IPC_REQUEST_CHANNEL = 'dplab:request';
/** IPC channel of events (main → renderer). */
export const IPC_EVENT_CHANNEL = 'dplab:event';
/** IPC channel of the desktop's streamed export (renderer → main): a save dialog, then runs.export written to the file. */
export const IPC_EXPORT_CHANNEL = 'dplab:export';
