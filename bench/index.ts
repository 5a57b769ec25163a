/**
 * Benchmark dispatcher: `npm run bench -- <name> [<name> …] [-- options]` runs bench/<name>.ts
 * for each name, in order. Each bench file runs on import and may read process.argv itself;
 * a bench registers nothing here, so adding one is adding a file.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
// Names come first; everything from the first option on belongs to the benches (`step --backend webgpu`).
const firstOption = process.argv.slice(2).findIndex((a) => a.startsWith('-'));
const names = process.argv.slice(2, firstOption < 0 ? undefined : 2 + firstOption);
if (names.length === 0) {
  console.error(`usage: npm run bench -- <name> [...]\navailable: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}
for (const name of names) {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) {
    console.error(`bench '${name}': no file ${file} (available: ${available.join(', ')})`);
    process.exit(2);
  }
  await import(pathToFileURL(file).href);
}
