/**
 * `npm run build:main`: bundles the Electron code with esbuild into dist/electron — main.cjs,
 * preload.cjs (sandboxed, so one self-contained file), trainer.cjs (the trainer entry for
 * utility processes) jobs-worker.cjs (the worker thread of theory.run, datasets.import, archive.import and archive.info's check) and backends.cjs (`dplab
 * backends` for backends.list, run as a utility process). Native and heavy packages stay external and load from node_modules.
 */
import { build, type BuildOptions } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}dist/electron`;

/**
 * Our modules locate package.json and resources relative to their own file (`new URL('../../x',
 * import.meta.url)`, two levels under the project root). In the bundle that URL points at a
 * virtual file two levels under the app folder, so those paths still resolve.
 */
const banner =
  "const __dplabMetaResolve = (s) => require('node:url').pathToFileURL(require.resolve(s)).href; " +
  "const __dplabMetaUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', '..', 'src-main', 'bundle', 'index.js')).href;";

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: true,
  logLevel: 'warning',
  // webgpu finds its Dawn binary next to its own file: it must load from node_modules.
  external: ['electron', 'better-sqlite3', '@tensorflow/*', 'webgpu', 'tsx', 'tsx/*'],
  define: { 'import.meta.url': '__dplabMetaUrl', 'import.meta.resolve': '__dplabMetaResolve' },
  banner: { js: banner },
};

/** Builds the bundles; resolves with their paths. */
export async function buildElectron(): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  const jobs: [string, string][] = [
    ['src-main/shell/main.ts', 'main.cjs'],
    ['src-main/shell/preload.ts', 'preload.cjs'],
    ['src-main/runs/trainer-process.ts', 'trainer.cjs'],
    ['src-main/service/jobs-worker.ts', 'jobs-worker.cjs'],
    ['src-main/cli/backends-process.ts', 'backends.cjs'],
  ];
  await Promise.all(
    jobs.map(([entry, file]) =>
      build({
        ...common,
        // The sandboxed preload may require only electron, events, timers and url: no path helpers in it.
        ...(file === 'preload.cjs' ? { banner: {}, define: {} } : {}),
        entryPoints: [`${root}${entry}`],
        outfile: `${out}/${file}`,
      }),
    ),
  );
  return jobs.map(([, f]) => `${out}/${f}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildElectron().then(
    (files) => console.log(`built ${files.map((f) => f.slice(root.length)).join(', ')}`),
    (e: unknown) => {
      console.error(`build:main failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
