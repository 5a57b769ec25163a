// The import table of docs/DEVELOPING.md, held by the build: every import of src-main/ and
// src-renderer/src/ is parsed (TypeScript's parser; Svelte <script> blocks too) and checked against
// the table, type-only imports apart from those that load code; no import circle; no loading by a
// name the table cannot see (computed import(), createRequire) outside the listed files and rooms;
// no table cell that no import uses. Each guard is also run over small fixture trees, so removing
// one fails this file. The table is read by scripts/layering.mjs, which also gives ESLint its rule.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { classify, readLayering, refusal, relPath, shortRoom, type Layering } from '../scripts/layering.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const DOC = join(ROOT, 'docs/DEVELOPING.md');

/** One import: what it names, whether it only brings types, where it stands. */
interface Import {
  spec: string;
  typeOnly: boolean;
  line: number;
}

/** What a source text loads: its imports, its import() calls whose name is computed, its uses of createRequire. */
interface Loads {
  imports: Import[];
  computed: number[];
  createRequire: number[];
}

/** Every import, re-export and dynamic import of a TypeScript source text, and what escapes them. */
export function loadsOf(text: string, fileName = 'x.ts'): Loads {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Loads = { imports: [], computed: [], createRequire: [] };
  const at = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      // `import type {…}`, or `import {type A, type B}` with nothing else: erased at run time.
      const allTypes =
        !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      out.imports.push({ spec: n.moduleSpecifier.text, typeOnly: allTypes, line: at(n) });
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const allTypes = n.isTypeOnly || (!!n.exportClause && ts.isNamedExports(n.exportClause) && n.exportClause.elements.length > 0 && n.exportClause.elements.every((e) => e.isTypeOnly));
      out.imports.push({ spec: n.moduleSpecifier.text, typeOnly: allTypes, line: at(n) });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = n.arguments[0];
      if (a && ts.isStringLiteralLike(a)) out.imports.push({ spec: a.text, typeOnly: false, line: at(n) });
      else out.computed.push(at(n));
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.imports.push({ spec: n.argument.literal.text, typeOnly: true, line: at(n) });
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference) && ts.isStringLiteral(n.moduleReference.expression)) {
      out.imports.push({ spec: n.moduleReference.expression.text, typeOnly: n.isTypeOnly, line: at(n) });
    } else if ((ts.isIdentifier(n) || ts.isStringLiteralLike(n)) && n.text === 'createRequire') {
      // The name, wherever it stands: the import specifier, `module.createRequire`, `m['createRequire']`.
      out.createRequire.push(at(n));
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The imports alone (kept for the parser's own test). */
export function importsOf(text: string, fileName = 'x.ts'): Import[] {
  return loadsOf(text, fileName).imports;
}

/** The script blocks of a Svelte component, as TypeScript (line numbers kept). */
function svelteScripts(text: string): string {
  const keep = text.replace(/[^\n]/g, ' ').split('');
  for (const m of text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
    const start = m.index! + m[0].indexOf('>') + 1;
    for (let i = 0; i < m[1]!.length; i++) keep[start + i] = m[1]![i]!;
  }
  return keep.join('');
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|mts|svelte)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** What each guard found in a tree: one message per problem, by guard. */
interface Findings {
  /** Imports the table refuses. */
  refused: string[];
  /** Files outside the engine gate that load engine/. */
  engine: string[];
  /** import() with a computed name outside the listed files, and listed files without one. */
  computed: string[];
  /** createRequire outside the listed rooms, and listed rooms that do not use it. */
  createRequire: string[];
  /** Table cells that no import uses. */
  unused: string[];
  /** Import circles, each as a path a → b → … → a. */
  cycles: string[];
  counted: { value: number; type: number };
}

/** The import circles of a graph (file → files it imports): one path per strongly connected part. */
export function circles(graph: Map<string, Set<string>>): string[][] {
  // Tarjan's algorithm, iterative so that a deep chain of imports cannot overflow the stack.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const parts: string[][] = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const frames: { v: string; it: Iterator<string> }[] = [];
    const open = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      frames.push({ v, it: (graph.get(v) ?? new Set<string>()).values() });
    };
    open(start);
    while (frames.length) {
      const f = frames[frames.length - 1]!;
      const step = f.it.next();
      if (!step.done) {
        const w = step.value;
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(f.v, Math.min(low.get(f.v)!, index.get(w)!));
        continue;
      }
      frames.pop();
      if (frames.length) {
        const p = frames[frames.length - 1]!.v;
        low.set(p, Math.min(low.get(p)!, low.get(f.v)!));
      }
      if (low.get(f.v) === index.get(f.v)) {
        const part: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          part.push(w);
        } while (w !== f.v);
        if (part.length > 1 || graph.get(f.v)?.has(f.v)) parts.push(part);
      }
    }
  }
  // One concrete circle per part: the shortest way from its first file back to itself.
  return parts.map((part) => {
    const inPart = new Set(part);
    const first = [...part].sort()[0]!;
    const prev = new Map<string, string>();
    const queue = [first];
    let end: string | undefined;
    for (let i = 0; i < queue.length && end === undefined; i++) {
      for (const w of graph.get(queue[i]!) ?? []) {
        if (!inPart.has(w)) continue;
        if (w === first) {
          end = queue[i]!;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, queue[i]!);
          queue.push(w);
        }
      }
    }
    const path = [first];
    for (let v = end!; v !== first; v = prev.get(v)!) path.splice(1, 0, v);
    return [...path, first];
  });
}

/** Runs every guard over the rooms of `root`, with the table and lists of `md`. */
export function checkTree(root: string, md: string): Findings {
  const layering: Layering = readLayering(md);
  const { rules } = layering;
  const f: Findings = { refused: [], engine: [], computed: [], createRequire: [], unused: [], cycles: [], counted: { value: 0, type: 0 } };
  const used = new Map(rules.map((r) => [r.room, { value: new Set<string>(), type: new Set<string>() }]));
  const graph = new Map<string, Set<string>>();
  const computedIn = new Set<string>();
  const requireIn = new Set<string>();
  for (const rule of rules) {
    if (!existsSync(join(root, rule.room))) continue;
    for (const abs of walk(join(root, rule.room))) {
      const file = relPath(root, abs);
      const text = readFileSync(abs, 'utf8');
      const loads = loadsOf(file.endsWith('.svelte') ? svelteScripts(text) : text, file);
      const edges = new Set<string>();
      graph.set(file, edges);
      for (const imp of loads.imports) {
        const what = classify(file, imp.spec, rules);
        if (imp.spec.startsWith('.')) edges.add(relPath(root, resolve(dirname(abs), imp.spec)));
        if (what === '') continue;
        f.counted[imp.typeOnly ? 'type' : 'value']++;
        used.get(rule.room)![imp.typeOnly ? 'type' : 'value'].add(what);
        const why = refusal(rule, what, imp.typeOnly);
        if (why) f.refused.push(`${file}:${imp.line} imports '${imp.spec}': ${why}`);
        if (!imp.typeOnly && what === 'engine/' && rule.room !== 'src-main/engine/' && file.endsWith('.ts') && !layering.engineGate.includes(file)) {
          f.engine.push(`${file}:${imp.line} loads engine/ (TensorFlow.js) but is not under "Who loads TensorFlow.js"`);
        }
      }
      for (const line of loads.computed) {
        computedIn.add(file);
        if (!layering.computedImportFiles.includes(file)) f.computed.push(`${file}:${line} calls import() with a computed name, and is not under "Files whose \`import()\` takes a computed name"`);
      }
      for (const line of loads.createRequire) {
        requireIn.add(shortRoom(rule.room));
        if (!layering.createRequireRooms.includes(shortRoom(rule.room))) f.createRequire.push(`${file}:${line} uses createRequire, and ${shortRoom(rule.room)} is not under "Rooms that may call \`createRequire\`"`);
      }
    }
  }
  for (const file of layering.computedImportFiles) if (!computedIn.has(file)) f.computed.push(`${file} is listed for a computed import() but has none: take it off the list`);
  for (const room of layering.createRequireRooms) if (!requireIn.has(room)) f.createRequire.push(`${room} is listed for createRequire but does not use it: take it off the list`);
  for (const rule of rules) {
    const u = used.get(rule.room)!;
    for (const item of rule.mayImport) if (!u.value.has(item)) f.unused.push(`${rule.room} "may import" lists ${item}, which no import of the room uses${u.type.has(item) ? ' (only types: move it to "types also from")' : ''}`);
    for (const item of rule.typesFrom) if (!u.type.has(item)) f.unused.push(`${rule.room} "types also from" lists ${item}, which no type-only import of the room uses`);
  }
  for (const c of circles(graph)) f.cycles.push(c.join(' → '));
  return f;
}

test('the rooms table of DEVELOPING.md covers every folder and names only rooms that exist', () => {
  const { rules } = readLayering(readFileSync(DOC, 'utf8'));
  assert.ok(rules.length >= 12, `read ${rules.length} rows`);
  const rooms = new Set(rules.map((r) => shortRoom(r.room)));
  for (const d of readdirSync(join(ROOT, 'src-main'))) {
    if (statSync(join(ROOT, 'src-main', d)).isDirectory()) assert.ok(rooms.has(`${d}/`), `src-main/${d}/ has no row in DEVELOPING.md`);
  }
  for (const r of rules) {
    assert.ok(existsSync(join(ROOT, r.room)), `${r.room} does not exist`);
    for (const item of [...r.mayImport, ...r.typesFrom]) if (item.endsWith('/')) assert.ok(rooms.has(item), `${r.room} lists ${item}, which is no room`);
  }
});

test('the tree keeps every rule of the rooms table: allowed imports only, no circle, no unseen loading, no unused cell', () => {
  const md = readFileSync(DOC, 'utf8');
  const layering = readLayering(md);
  assert.ok(layering.engineGate.length > 0);
  for (const file of [...layering.engineGate, ...layering.computedImportFiles]) assert.ok(existsSync(join(ROOT, file)), `${file} is listed but does not exist`);
  const f = checkTree(ROOT, md);
  assert.ok(f.counted.value > 100 && f.counted.type > 20, `parsed ${f.counted.value} value and ${f.counted.type} type-only imports`);
  assert.deepEqual(f.refused, [], 'imports the table refuses');
  assert.deepEqual(f.engine, [], 'only the trainer processes and the CLI run path load engine/ (TensorFlow.js)');
  assert.deepEqual(f.computed, [], 'computed import() names');
  assert.deepEqual(f.createRequire, [], 'createRequire');
  assert.deepEqual(f.unused, [], 'table cells no import uses');
  assert.deepEqual(f.cycles, [], 'import circles');
});

// A small tree that keeps every rule; each case below breaks one, and only that guard may speak.
const FIXTURE_DOC = `
| folder | job | may import | types also from |
| --- | --- | --- | --- |
| \`src-main/base/\` | base | \`node\` | — |
| \`src-main/mid/\` | mid | \`base/\`, \`zod\` | \`top/\` |
| \`src-main/top/\` | top | \`node\`, \`mid/\`, \`engine/\` | — |
| \`src-main/engine/\` | engine | \`base/\` | — |

Who loads TensorFlow.js:
- \`src-main/top/run.ts\`

Rooms that may call \`createRequire\`:
- \`base/\`

Files whose \`import()\` takes a computed name:
- \`src-main/top/plugins.ts\`
`;

const FIXTURE: Record<string, string> = {
  'src-main/base/a.ts': "import { createRequire } from 'node:module';\nexport const req = createRequire(import.meta.url);\nexport const a = 1;",
  'src-main/base/b.ts': "import { a } from './a.ts';\nexport const b = a + 1;",
  'src-main/mid/m.ts': "import { b } from '../base/b.ts';\nimport { z } from 'zod';\nimport type { T } from '../top/t.ts';\nexport const m: T = b;\nexport const s = z;",
  'src-main/top/t.ts': "import { readFileSync } from 'node:fs';\nexport type T = number;\nexport const t = [readFileSync];",
  'src-main/top/u.ts': "import { m } from '../mid/m.ts';\nexport const u = m;",
  'src-main/top/run.ts': "export async function run() { return import('../engine/e.ts'); }",
  'src-main/top/plugins.ts': "export async function load(name: string) { return import(name); }",
  'src-main/engine/e.ts': "import { a } from '../base/a.ts';\nexport const e = a;",
};

function fixture(change: Record<string, string | null>, md = FIXTURE_DOC): Findings {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-layering-'));
  try {
    const files = { ...FIXTURE, ...change };
    for (const [p, text] of Object.entries(files)) {
      if (text === null) continue;
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    return checkTree(dir, md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The guards that spoke, with what they said. */
function spoke(f: Findings): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of ['refused', 'engine', 'computed', 'createRequire', 'unused', 'cycles'] as const) if (f[k].length) out[k] = f[k];
  return out;
}

test('the guards pass the fixture tree as it is', () => {
  assert.deepEqual(spoke(fixture({})), {});
});

test('an import the table refuses is caught, value or type', () => {
  assert.deepEqual(Object.keys(spoke(fixture({ 'src-main/base/c.ts': "import { m } from '../mid/m.ts';\nexport const c = m;" }))), ['refused']);
  // types from top/ are allowed to mid/, values are not
  const f = fixture({ 'src-main/mid/m2.ts': "import { t } from '../top/t.ts';\nexport const u = t;" });
  assert.equal(f.refused.length, 1, JSON.stringify(f));
  assert.match(f.refused[0]!, /^src-main\/mid\/m2\.ts:1 imports '\.\.\/top\/t\.ts'/);
});

test('an import circle is caught, through value, type-only and dynamic imports, and named as a path', () => {
  // base/a.ts → base/b.ts → base/a.ts, inside one room
  const f = fixture({ 'src-main/base/a.ts': FIXTURE['src-main/base/a.ts'] + "\nexport const later = async () => (await import('./b.ts')).b;" });
  assert.deepEqual(spoke(f), { cycles: ['src-main/base/a.ts → src-main/base/b.ts → src-main/base/a.ts'] });
  // across rooms, one way by a type-only import: mid/m.ts → top/t.ts → mid/m.ts
  const g = fixture({ 'src-main/top/t.ts': "import { readFileSync } from 'node:fs';\nimport { m } from '../mid/m.ts';\nexport type T = number;\nexport const t = [m, readFileSync];" });
  assert.deepEqual(spoke(g), { cycles: ['src-main/mid/m.ts → src-main/top/t.ts → src-main/mid/m.ts'] });
  // a file importing itself
  assert.deepEqual(fixture({ 'src-main/base/b.ts': "import { a } from './a.ts';\nimport * as self from './b.ts';\nexport const b = a + 1;\nexport const me = self;" }).cycles, ['src-main/base/b.ts → src-main/base/b.ts']);
});

test('circles() finds every circle of a graph and leaves a chain alone', () => {
  const g = (edges: [string, string][]) => {
    const m = new Map<string, Set<string>>();
    for (const [a, b] of edges) {
      if (!m.has(a)) m.set(a, new Set());
      if (!m.has(b)) m.set(b, new Set());
      m.get(a)!.add(b);
    }
    return m;
  };
  assert.deepEqual(circles(g([['a', 'b'], ['b', 'c'], ['a', 'c']])), []);
  assert.deepEqual(circles(g([['a', 'b'], ['b', 'c'], ['c', 'a'], ['c', 'd'], ['d', 'e'], ['e', 'd']])).map((c) => c.join(' ')).sort(), ['a b c a', 'd e d']);
  // a chain of 20 000 imports: no stack overflow
  const chain: [string, string][] = Array.from({ length: 20_000 }, (_, i) => [`f${i}`, `f${i + 1}`]);
  assert.deepEqual(circles(g(chain)), []);
  assert.equal(circles(g([...chain, ['f20000', 'f0']]))[0]!.length, 20_002);
});

test('a computed import() is caught outside the listed files, and a listed file without one is too', () => {
  const f = fixture({ 'src-main/mid/dyn.ts': "const where = '../base/b.ts';\nexport const load = () => import(where);" });
  assert.deepEqual(spoke(f), { computed: ['src-main/mid/dyn.ts:2 calls import() with a computed name, and is not under "Files whose `import()` takes a computed name"'] });
  // a template literal with a hole is computed; one without is a literal name, checked by the table
  assert.deepEqual(Object.keys(spoke(fixture({ 'src-main/mid/dyn.ts': 'export const load = (k: string) => import(`../base/${k}.ts`);' }))), ['computed']);
  assert.deepEqual(Object.keys(spoke(fixture({ 'src-main/mid/dyn.ts': 'export const load = () => import(`../top/t.ts`);' }))), ['refused']);
  assert.deepEqual(spoke(fixture({ 'src-main/top/plugins.ts': 'export const load = 1;' })), { computed: ['src-main/top/plugins.ts is listed for a computed import() but has none: take it off the list'] });
});

test('createRequire is caught outside the listed rooms, however it is reached', () => {
  for (const text of [
    "import { createRequire } from 'node:module';\nexport const r = createRequire(import.meta.url);",
    "import { createRequire as cr } from 'module';\nexport const r = cr(import.meta.url);",
    "import * as mod from 'node:module';\nexport const r = mod.createRequire(import.meta.url);",
    "import * as mod from 'node:module';\nexport const r = mod['createRequire'](import.meta.url);",
  ]) {
    const f = fixture({ 'src-main/top/req.ts': text });
    assert.deepEqual(Object.keys(spoke(f)), ['createRequire'], text);
    assert.match(f.createRequire[0]!, /^src-main\/top\/req\.ts:\d uses createRequire, and top\/ is not under/);
  }
  assert.deepEqual(spoke(fixture({ 'src-main/base/a.ts': "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;" })), { createRequire: ['base/ is listed for createRequire but does not use it: take it off the list'] });
});

test('a table cell that no import uses is caught, and one used only by types is told to move', () => {
  const md = FIXTURE_DOC.replace('| `base/`, `zod` |', '| `base/`, `zod`, `uplot`, `engine/` |');
  assert.deepEqual(spoke(fixture({}, md)), {
    unused: ['src-main/mid/ "may import" lists uplot, which no import of the room uses', 'src-main/mid/ "may import" lists engine/, which no import of the room uses'],
  });
  const typesOnly = FIXTURE_DOC.replace('| `base/`, `zod` | `top/` |', '| `base/`, `zod`, `top/` | — |');
  assert.deepEqual(spoke(fixture({}, typesOnly)), { unused: ['src-main/mid/ "may import" lists top/, which no import of the room uses (only types: move it to "types also from")'] });
  const noTypes = FIXTURE_DOC.replace('| `node` | — |', '| `node` | `mid/` |');
  assert.deepEqual(spoke(fixture({}, noTypes)), { unused: ['src-main/base/ "types also from" lists mid/, which no type-only import of the room uses'] });
});

test('a file that loads engine/ outside the gate is caught', () => {
  assert.deepEqual(Object.keys(spoke(fixture({ 'src-main/top/other.ts': "import { e } from '../engine/e.ts';\nexport const o = e;" }))), ['engine']);
});

test('a lost list heading fails loudly instead of emptying a guard', () => {
  assert.throws(() => fixture({}, FIXTURE_DOC.replace('Rooms that may call', 'Rooms that can call')), /lost its "Rooms that may call `createRequire`" list/);
});

test('the import parser tells type-only imports from those that load code', () => {
  const src = [
    "import type { A } from './a.ts';",
    "import { type B, type C } from './b.ts';",
    "import { type D, e } from './d.ts';",
    "import f from 'f';",
    "export type { G } from './g.ts';",
    "export { h } from './h.ts';",
    "const m = await import('./m.ts');",
    "let t: import('./t.ts').T;",
    "import './side.ts';",
  ].join('\n');
  assert.deepEqual(
    importsOf(src).map((i) => [i.spec, i.typeOnly]),
    [['./a.ts', true], ['./b.ts', true], ['./d.ts', false], ['f', false], ['./g.ts', true], ['./h.ts', false], ['./m.ts', false], ['./t.ts', true], ['./side.ts', false]],
  );
  assert.deepEqual(importsOf(svelteScripts('<p>x</p>\n<script lang="ts">\nimport { x } from "./y.ts";\n</script>')).map((i) => [i.spec, i.line]), [['./y.ts', 3]]);
});

test('the docs cite only files and folders that exist', () => {
  const missing: string[] = [];
  const docs = ['README.md', 'BENCHMARKS.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  for (const doc of docs) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    for (const m of text.matchAll(/`((?:src-main|src-renderer|test|bench|docs|scripts|examples|resources|bin)\/[^`*\s<>]*)`/g)) {
      const p = m[1]!.replace(/[:#].*$/, '');
      if (!existsSync(join(ROOT, p))) missing.push(`${doc}: ${m[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('ESLint (eslint.config.js) holds the same table as an editor sees it: refused imports, computed import(), createRequire', async () => {
  const { ESLint } = await import('eslint');
  const eslint = new ESLint({ cwd: ROOT });
  const lint = async (file: string, code: string) => {
    const [r] = await eslint.lintText(code, { filePath: join(ROOT, file) });
    return r!.messages.map((m) => `${m.ruleId} ${m.line}: ${m.message}`);
  };
  assert.deepEqual(await lint('src-main/math/probe.ts', "import { setupSchema } from '../common/setup.ts';\nexport const s = setupSchema;\n"), [
    "layering/rooms 1: '../common/setup.ts': common/ is not in the table's row for src-main/math/ (docs/DEVELOPING.md)",
  ]);
  // types from service/ are allowed to server/, values are not
  assert.deepEqual(await lint('src-main/server/probe.ts', "import type { LabService } from '../service/service.ts';\nexport type S = LabService;\n"), []);
  assert.equal((await lint('src-main/server/probe.ts', "import { LabService } from '../service/service.ts';\nexport const S = LabService;\n")).length, 1);
  // a Svelte component of the renderer reaching into the service
  const svelte = await lint('src-renderer/src/views/Probe.svelte', "<script lang=\"ts\">\n  import { LabService } from '../../../src-main/service/service.ts';\n  const s = LabService;\n</script>\n<p>{String(s)}</p>\n");
  assert.deepEqual(svelte.map((m) => m.split(':')[0]), ['layering/rooms 2']);
  const computed = "export const load = (n: string) => import(n);\n";
  assert.match((await lint('src-main/data/probe.ts', computed)).join('\n'), /^layering\/rooms 1: import\(\) takes a computed name/);
  const required = "import { createRequire } from 'node:module';\nexport const r = createRequire(import.meta.url);\n";
  assert.deepEqual((await lint('src-main/data/probe.ts', required)).map((m) => m.split(':')[0]), ['layering/rooms 1', 'layering/rooms 2']);
  assert.deepEqual(await lint('src-main/engine/probe.ts', required), []);
});
