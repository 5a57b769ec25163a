// Boots jobs-worker.ts in a worker thread under tsx (a worker does not inherit tsx's loader from a
// parent that registered it programmatically, as bin/dplab.mjs does).
import { register } from 'tsx/esm/api';
register();
await import('./jobs-worker.ts');
