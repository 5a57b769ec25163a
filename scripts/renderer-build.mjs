// Whether dist/renderer is built from this checkout's current sources. Shared by the test runner
// (scripts/test.mjs builds the renderer once, before any UI test file starts) and the UI test
// harness (test/ui/harness.ts only checks, so parallel test files never race to build one folder).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The built page every UI test loads. */
export const RENDERER_INDEX = join(ROOT, 'dist', 'renderer', 'index.html');

/** Everything the renderer bundles: a change in any of them makes the build stale. */
const SOURCES = ['src-renderer', 'src-main/contract', 'src-main/theory', 'src-main/common', 'src-main/math', 'src-main/reproduce', 'docs/reproduction/report.md'];

/** Latest modification time of a file or of any file under a folder (0 when absent). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

/** Why the renderer build cannot be used as it is (missing, or older than a source), or null when it is fresh. */
export function rendererBuildProblem() {
  if (!existsSync(RENDERER_INDEX)) return `the renderer is not built (${RENDERER_INDEX} is missing)`;
  const built = statSync(RENDERER_INDEX).mtimeMs;
  for (const s of SOURCES) {
    const t = newest(join(ROOT, s));
    if (t > built) return `the renderer build (${RENDERER_INDEX}) is older than ${s}/`;
  }
  return null;
}
