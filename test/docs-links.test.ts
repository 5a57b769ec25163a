// The docs link to each other (README's map of docs/, BENCHMARKS.md's table of current figures to its
// dated sections, docs/cli.md's command index): every such link must reach a file that exists and,
// with a #fragment, a heading of that file, as GitHub names heading anchors.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DOCS = ['README.md', 'BENCHMARKS.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor of a heading: lower case, punctuation dropped (letters and digits of any script kept), spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (outside fenced code), a repeated one suffixed -1, -2, … as GitHub does. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const a = anchorOf(m[1]!);
    const n = seen.get(a) ?? 0;
    seen.set(a, n + 1);
    out.add(n === 0 ? a : `${a}-${n}`);
  }
  return out;
}

/** Every relative Markdown link of a file outside fenced code: [text](target) with no scheme. */
function linksOf(text: string): string[] {
  const body = text.replace(/^```[\s\S]*?^```/gm, '');
  return [...body.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
}

test('anchorOf names headings as GitHub does', () => {
  assert.equal(anchorOf('Theory playground: following the η slider (issue 16, 2026-12-01)'), 'theory-playground-following-the-η-slider-issue-16-2026-12-01');
  assert.equal(anchorOf('After the import clean-up (2026-12-01 22:29–22:36 UTC)'), 'after-the-import-clean-up-2026-12-01-22292236-utc');
  assert.equal(anchorOf('dplab export luckmatters'), 'dplab-export-luckmatters');
  assert.deepEqual([...anchorsOf('# A\n## A\n```\n# not a heading\n```\n')], ['a', 'a-1']);
});

test('every relative link of the docs reaches a file and, with a #fragment, one of its headings', () => {
  const broken: string[] = [];
  let links = 0;
  for (const doc of DOCS) {
    for (const target of linksOf(readFileSync(join(ROOT, doc), 'utf8'))) {
      links++;
      const [path, fragment] = target.split('#') as [string, string | undefined];
      const file = path === '' ? doc : normalize(join(dirname(doc), decodeURIComponent(path)));
      if (!existsSync(join(ROOT, file))) { broken.push(`${doc}: ${target} (no file ${file})`); continue; }
      if (fragment !== undefined && !anchorsOf(readFileSync(join(ROOT, file), 'utf8')).has(decodeURIComponent(fragment))) {
        broken.push(`${doc}: ${target} (no heading #${fragment} in ${file})`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(links >= 30, `only ${links} links found: the link pattern no longer matches the docs`);
});
