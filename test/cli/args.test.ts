import test from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../src-main/cli/args.ts';

const spec = { string: ['out', 'backend'], multi: ['set'], boolean: ['quiet', 'help'] };

test('a string option followed by another option has no value: an error, not "--quiet" as the value', () => {
  const a = parseArgs(['setup.json', '--out', '--quiet'], spec);
  assert.match(a.error ?? '', /--out needs a value/);
  assert.notEqual(a.strings.out, '--quiet');
  assert.equal(parseArgs(['--out=--quiet'], spec).strings.out, '--quiet', 'an explicit = still passes a dashed value');
});

test('everything after -- is positional', () => {
  const a = parseArgs(['--quiet', '--', '--out', 'x', '--help'], spec);
  assert.equal(a.error, undefined);
  assert.deepEqual(a.positional, ['--out', 'x', '--help']);
  assert.equal(a.strings.out, undefined);
  assert.equal(a.flags.help, undefined);
  assert.equal(a.flags.quiet, true);
});

test('a flag given a value is an error, not true', () => {
  const a = parseArgs(['--quiet=maybe'], spec);
  assert.match(a.error ?? '', /--quiet is a flag/);
  assert.notEqual(a.flags.quiet, true);
});

test('values, repeated options, unknown options and missing values', () => {
  const a = parseArgs(['s.json', '--out', 'o.json', '--set', 'optim.lr=0.1', '--set=seed=3', '--backend=wasm', '--help'], spec);
  assert.equal(a.error, undefined);
  assert.deepEqual(a.positional, ['s.json']);
  assert.deepEqual(a.strings, { out: 'o.json', backend: 'wasm' });
  assert.deepEqual(a.multi, { set: ['optim.lr=0.1', 'seed=3'] });
  assert.deepEqual(a.flags, { help: true });
  const u = parseArgs(['--bogus', '--help'], spec);
  assert.equal(u.error, 'unknown option --bogus');
  assert.equal(u.flags.help, true, '--help still reads beside a bad option');
  assert.equal(parseArgs(['--out'], spec).error, '--out needs a value');
});

test('a negative number after an option that takes a value is its value', () => {
  const a = parseArgs(['--out', '-0.5', '--set', '-3', '--', '-1'], spec);
  assert.equal(a.error, undefined);
  assert.equal(a.strings.out, '-0.5');
  assert.deepEqual(a.multi.set, ['-3']);
  assert.deepEqual(a.positional, ['-1']);
});
