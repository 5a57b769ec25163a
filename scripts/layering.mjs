// The rooms table of docs/DEVELOPING.md, read once for both of its guards: test/layering.test.ts
// (every import of the tree, on each `npm test`) and the ESLint rule below (the import being typed,
// in the editor and in `npm run check`). Plain JavaScript so that eslint.config.js can load it.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file sits in scripts/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const NODE = new Set(builtinModules);

/** The rows of the rooms table: backticked items, `name/` for rooms, `node` for built-ins. */
export function readRooms(md) {
  const rules = [];
  for (const line of md.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 6 || !/^`src-(main|renderer)\//.test(cells[1])) continue;
    const items = (c) => new Set([...c.matchAll(/`([^`]+)`/g)].map((m) => m[1]));
    rules.push({ room: cells[1].replace(/`/g, ''), mayImport: items(cells[3]), typesFrom: items(cells[4]) });
  }
  return rules;
}

/**
 * The first backticked item of each bullet of the list that follows `heading` in DEVELOPING.md
 * (the paragraph holding the heading and the bullets under it); throws when the heading is gone,
 * so that a renamed paragraph cannot empty a list and with it a guard.
 */
export function readList(md, heading) {
  const i = md.indexOf(heading);
  if (i < 0) throw new Error(`docs/DEVELOPING.md lost its "${heading}" list`);
  const block = md.slice(i).split('\n\n')[0];
  return [...block.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]);
}

/** The headings of the lists above, as DEVELOPING.md writes them. */
export const LISTS = {
  engine: 'Who loads TensorFlow.js',
  createRequire: 'Rooms that may call `createRequire`',
  computedImport: 'Files whose `import()` takes a computed name',
};

/** The rooms table, the loading rules and their lists, from a DEVELOPING.md text. */
export function readLayering(md) {
  return {
    rules: readRooms(md),
    engineGate: readList(md, LISTS.engine),
    createRequireRooms: readList(md, LISTS.createRequire),
    computedImportFiles: readList(md, LISTS.computedImport),
  };
}

/** readLayering over the repository's own docs/DEVELOPING.md. */
export function readRepoLayering(root = ROOT) {
  return readLayering(readFileSync(resolve(root, 'docs/DEVELOPING.md'), 'utf8'));
}

/** A path relative to `root`, with forward slashes. */
export function relPath(root, file) {
  return relative(root, file).split(sep).join('/');
}

/** The row whose room holds `file` (a root-relative path), or undefined when no room does. */
export function roomOf(file, rules) {
  return rules.find((r) => file.startsWith(r.room));
}

/**
 * What an import names, as the table writes it: `room/`, `node`, a package name, '' for the
 * importing file's own room, or the root-relative target for a path outside every room.
 * `file` is root-relative with forward slashes.
 */
export function classify(file, spec, rules) {
  if (spec.startsWith('node:') || NODE.has(spec.split('/')[0])) return 'node';
  if (!spec.startsWith('.')) return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  // A bundler query (`?raw`) names how the file is loaded, not another file.
  const target = posix.normalize(posix.join(posix.dirname(file), spec.replace(/\?.*$/, '')));
  const own = roomOf(file, rules);
  if (own && target.startsWith(own.room)) return '';
  const room = roomOf(target, rules);
  if (!room) return target;
  return room.room.replace(/^src-main\//, '');
}

/** Why `what`, imported by a file of `rule`'s room, is refused; null when the table allows it. */
export function refusal(rule, what, typeOnly) {
  if (what === '' || rule.mayImport.has(what) || (typeOnly && rule.typesFrom.has(what))) return null;
  return `${typeOnly ? 'types from ' : ''}${what} is not in the table's row for ${rule.room} (docs/DEVELOPING.md)`;
}

/** The room name as the createRequire list writes it (`engine/` for src-main/engine/). */
export const shortRoom = (room) => room.replace(/^src-main\//, '');

/**
 * ESLint rule `layering/rooms`: the import being typed, checked against the rooms table, the
 * computed-import list and the createRequire rooms, so an editor flags a violation at once.
 * The table is read once per ESLint process (edit DEVELOPING.md: restart the editor's server).
 */
export const roomsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the rooms table of docs/DEVELOPING.md' },
    schema: [],
    messages: {
      refused: "'{{spec}}': {{why}}",
      computed: 'import() takes a computed name, which the rooms table cannot check; give a literal, or list the file (and why) under "Files whose `import()` takes a computed name" in docs/DEVELOPING.md',
      createRequire: 'createRequire loads by names the rooms table cannot check; {{room}} is not under "Rooms that may call `createRequire`" in docs/DEVELOPING.md',
    },
  },
  create(context) {
    const layering = cached();
    const file = relPath(ROOT, context.filename);
    const rule = roomOf(file, layering.rules);
    if (!rule) return {};
    const check = (node, spec, typeOnly) => {
      const what = classify(file, spec, layering.rules);
      const why = refusal(rule, what, typeOnly);
      if (why) context.report({ node, messageId: 'refused', data: { spec, what, why } });
    };
    const literal = (n) => (n && n.type === 'Literal' && typeof n.value === 'string' ? n.value : null);
    const mayRequire = layering.createRequireRooms.includes(shortRoom(rule.room));
    // `import { createRequire }` holds the name twice (imported and local) at one place: one report.
    const requireAt = new Set();
    const requireUse = (n) => {
      if (mayRequire || requireAt.has(n.range[0])) return;
      requireAt.add(n.range[0]);
      context.report({ node: n, messageId: 'createRequire', data: { room: rule.room } });
    };
    return {
      ImportDeclaration(n) {
        const allTypes = n.importKind === 'type' || (n.specifiers.length > 0 && n.specifiers.every((s) => s.type === 'ImportSpecifier' && s.importKind === 'type'));
        check(n.source, n.source.value, allTypes);
      },
      ExportNamedDeclaration(n) {
        if (!n.source) return;
        const allTypes = n.exportKind === 'type' || (n.specifiers.length > 0 && n.specifiers.every((s) => s.exportKind === 'type'));
        check(n.source, n.source.value, allTypes);
      },
      ExportAllDeclaration(n) {
        check(n.source, n.source.value, n.exportKind === 'type');
      },
      ImportExpression(n) {
        const spec = literal(n.source) ?? (n.source.type === 'TemplateLiteral' && n.source.expressions.length === 0 ? n.source.quasis[0].value.cooked : null);
        if (spec !== null) check(n.source, spec, false);
        else if (!layering.computedImportFiles.includes(file)) context.report({ node: n, messageId: 'computed' });
      },
      TSImportType(n) {
        const spec = n.argument?.type === 'TSLiteralType' ? literal(n.argument.literal) : null;
        if (spec !== null) check(n.argument, spec, true);
      },
      TSExternalModuleReference(n) {
        const spec = literal(n.expression);
        if (spec !== null) check(n.expression, spec, n.parent?.importKind === 'type');
      },
      Identifier(n) {
        if (n.name === 'createRequire') requireUse(n);
      },
      Literal(n) {
        // module['createRequire'] reaches it without the identifier.
        if (n.value === 'createRequire') requireUse(n);
      },
    };
  },
};

let layeringCache = null;
function cached() {
  layeringCache ??= readRepoLayering();
  return layeringCache;
}

/** The local ESLint plugin (`layering`) that eslint.config.js installs. */
export const layeringPlugin = { meta: { name: 'layering' }, rules: { rooms: roomsRule } };
