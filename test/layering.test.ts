// The import table of docs/DEVELOPING.md, held by the build: every import of src-main/ and
// src-renderer/src/ is parsed (TypeScript's parser; Svelte <script> blocks too) and checked against
// the table, type-only imports apart from those that load code.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
const DOC = join(ROOT, 'docs/DEVELOPING.md');

/** One import: what it names, whether it only brings types, where it stands. */
interface Import {
  spec: string;
  typeOnly: boolean;
  line: number;
}

/** Every import, re-export and dynamic import of a TypeScript source text. */
export function importsOf(text: string, fileName = 'x.ts'): Import[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Import[] = [];
  const at = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      // `import type {…}`, or `import {type A, type B}` with nothing else: erased at run time.
      const allTypes =
        !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      out.push({ spec: n.moduleSpecifier.text, typeOnly: allTypes, line: at(n) });
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const allTypes = n.isTypeOnly || (!!n.exportClause && ts.isNamedExports(n.exportClause) && n.exportClause.elements.length > 0 && n.exportClause.elements.every((e) => e.isTypeOnly));
      out.push({ spec: n.moduleSpecifier.text, typeOnly: allTypes, line: at(n) });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteralLike(n.arguments[0])) {
      out.push({ spec: n.arguments[0].text, typeOnly: false, line: at(n) });
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push({ spec: n.argument.literal.text, typeOnly: true, line: at(n) });
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference) && ts.isStringLiteral(n.moduleReference.expression)) {
      out.push({ spec: n.moduleReference.expression.text, typeOnly: n.isTypeOnly, line: at(n) });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
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

interface Rule {
  room: string;
  mayImport: Set<string>;
  typesFrom: Set<string>;
}

/** The rooms table of DEVELOPING.md: backticked items, `name/` for rooms, `node` for built-ins. */
function readTable(): Rule[] {
  const md = readFileSync(DOC, 'utf8');
  const rules: Rule[] = [];
  for (const line of md.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 6 || !/^`src-(main|renderer)\//.test(cells[1]!)) continue;
    const items = (c: string) => new Set([...c.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    rules.push({ room: cells[1]!.replace(/`/g, ''), mayImport: items(cells[3]!), typesFrom: items(cells[4]!) });
  }
  return rules;
}

/** The files that may load engine/ (TensorFlow.js), listed under "Who loads TensorFlow.js". */
function readEngineGate(): string[] {
  const md = readFileSync(DOC, 'utf8');
  const i = md.indexOf('Who loads TensorFlow.js');
  assert.ok(i >= 0, 'DEVELOPING.md lost its "Who loads TensorFlow.js" list');
  const block = md.slice(i).split('\n\n')[0]!;
  return [...block.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]!);
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

const NODE = new Set(builtinModules);
const rel = (p: string) => relative(ROOT, p).split(sep).join('/');

/** What an import names, as the table writes it: `room/`, `node`, a package name, or '' for its own room. */
function classify(file: string, spec: string, rules: Rule[]): string {
  if (spec.startsWith('node:') || NODE.has(spec.split('/')[0]!)) return 'node';
  if (!spec.startsWith('.')) return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
  const target = rel(resolve(dirname(file), spec));
  const own = rules.find((r) => rel(file).startsWith(r.room))!;
  if (target.startsWith(own.room)) return '';
  const room = rules.find((r) => target.startsWith(r.room));
  if (!room) return target; // outside every room: reported as such
  return room.room.replace(/^src-main\//, '');
}

test('the rooms table of DEVELOPING.md covers every folder and names only rooms that exist', () => {
  const rules = readTable();
  assert.ok(rules.length >= 12, `read ${rules.length} rows`);
  const rooms = new Set(rules.map((r) => r.room.replace(/^src-main\//, '')));
  for (const d of readdirSync(join(ROOT, 'src-main'))) {
    if (statSync(join(ROOT, 'src-main', d)).isDirectory()) assert.ok(rooms.has(`${d}/`), `src-main/${d}/ has no row in DEVELOPING.md`);
  }
  for (const r of rules) {
    assert.ok(existsSync(join(ROOT, r.room)), `${r.room} does not exist`);
    for (const item of [...r.mayImport, ...r.typesFrom]) if (item.endsWith('/')) assert.ok(rooms.has(item), `${r.room} lists ${item}, which is no room`);
  }
});

test('every import follows the rooms table (value imports by "may import", type-only also by "types also from")', () => {
  const rules = readTable();
  const problems: string[] = [];
  let counted = { value: 0, type: 0 };
  for (const rule of rules) {
    for (const file of walk(join(ROOT, rule.room))) {
      const text = readFileSync(file, 'utf8');
      for (const imp of importsOf(file.endsWith('.svelte') ? svelteScripts(text) : text, file)) {
        const what = classify(file, imp.spec, rules);
        if (what === '') continue;
        counted[imp.typeOnly ? 'type' : 'value']++;
        const ok = rule.mayImport.has(what) || (imp.typeOnly && rule.typesFrom.has(what));
        if (!ok) problems.push(`${rel(file)}:${imp.line} imports ${imp.typeOnly ? 'types from ' : ''}'${imp.spec}' (${what}), not allowed for ${rule.room}`);
      }
    }
  }
  assert.ok(counted.value > 100 && counted.type > 20, `parsed ${counted.value} value and ${counted.type} type-only imports`);
  assert.deepEqual(problems, []);
});

test('only the trainer processes and the CLI run path load engine/ (TensorFlow.js)', () => {
  const gate = readEngineGate();
  assert.ok(gate.length > 0);
  for (const f of gate) assert.ok(existsSync(join(ROOT, f)), `${f} is listed but does not exist`);
  const rules = readTable();
  const loaders = new Set<string>();
  for (const rule of rules) {
    if (rule.room === 'src-main/engine/') continue;
    for (const file of walk(join(ROOT, rule.room))) {
      if (!file.endsWith('.ts')) continue;
      for (const imp of importsOf(readFileSync(file, 'utf8'), file)) {
        if (!imp.typeOnly && classify(file, imp.spec, rules) === 'engine/') loaders.add(rel(file));
      }
    }
  }
  assert.deepEqual([...loaders].filter((f) => !gate.includes(f)), []);
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
