/**
 * `npm start`: builds the renderer and the Electron bundles, then opens the desktop app. Where the
 * Electron binary is not installed (it downloads from outside npm) it says so in one line and
 * points to the browser mode.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The Electron binary's path, or the reason there is none. */
export function electronBinary(env: NodeJS.ProcessEnv = process.env): { path: string } | { missing: string } {
  // Read what the electron package's index.js reads, without requiring it: that would try to
  // download the binary (from outside the npm registry) and print a stack trace.
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed' };
  }
  const pathFile = join(dir, 'path.txt');
  const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  if (env.ELECTRON_OVERRIDE_DIST_PATH) return { path: join(env.ELECTRON_OVERRIDE_DIST_PATH, rel || 'electron') };
  if (!rel) return { missing: 'its download was skipped or failed at npm install' };
  const full = join(dir, 'dist', rel);
  return existsSync(full) ? { path: full } : { missing: `${full} is missing` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let bin = electronBinary();
  if ('missing' in bin && !process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    // Electron downloads its binary on first use; try once, quietly (it fails fast offline).
    try {
      const install = join(dirname(createRequire(import.meta.url).resolve('electron/package.json')), 'install.js');
      spawnSync(process.execPath, [install], { cwd: root, stdio: 'ignore', timeout: 600_000 });
      bin = electronBinary();
    } catch {
      // no electron package at all: reported below
    }
  }
  if ('missing' in bin) {
    console.error(`npm start: the Electron binary is not installed here (${bin.missing}); run the lab in your browser instead: npm run serve`);
    process.exit(1);
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  for (const script of ['build:renderer', 'build:main']) {
    const r = spawnSync(npm, ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  const child = spawn(bin.path, ['.'], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
