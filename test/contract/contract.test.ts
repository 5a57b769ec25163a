/**
 * The contract module itself: names.ts and Requests agree, validation names every bad field and
 * fills defaults, unknown requests are refused, and no request accepts a non-object argument.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Requests, REQUEST_NAMES, NAMES_MATCH, validateRequest, RequestEnvelope } from '../../src-main/contract/index.ts';

test('names.ts lists exactly the requests of Requests, in order', () => {
  assert.equal(NAMES_MATCH, true);
  assert.deepEqual([...REQUEST_NAMES], Object.keys(Requests));
});

test('unknown requests are refused by name, including Object.prototype members', () => {
  for (const name of ['nope', '', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'runs', 'RUNS.LIST']) {
    const r = validateRequest(name, {});
    assert.equal(r.ok, false, name);
    assert.equal(!r.ok && r.error.code, 'unknown-request');
  }
});

test('invalid arguments name each field; valid ones come back with defaults filled in', () => {
  const bad = validateRequest('runs.list', { limit: 0, status: ['nope'] });
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.equal(bad.error.code, 'invalid-args');
    assert.deepEqual(bad.error.issues!.map((i) => i.path).sort(), ['limit', 'status.0']);
    assert.match(bad.error.message, /limit/);
  }
  const ok = validateRequest('runs.tag', { runId: 'abc' });
  assert.ok(ok.ok);
  assert.deepEqual(ok.ok && ok.args, { runId: 'abc', add: [], remove: [] });
  const exp = validateRequest('runs.export', { runIds: ['a'], format: 'csv' });
  assert.deepEqual(exp.ok && exp.args, { runIds: ['a'], format: 'csv', what: 'runs' });
  assert.equal(validateRequest('app.info', undefined).ok, true, 'absent args mean {}');
});

test('no request accepts a number, string, boolean or array as its arguments', () => {
  for (const name of REQUEST_NAMES) {
    for (const args of [1, 'x', true, [], [{}]]) assert.equal(validateRequest(name, args).ok, false, `${name} ${JSON.stringify(args)}`);
  }
});

test('the request envelope wants a non-negative integer id and a short string name', () => {
  assert.equal(RequestEnvelope.safeParse({ id: 0, name: 'app.info', args: {} }).success, true);
  assert.equal(RequestEnvelope.safeParse({ id: -1, name: 'app.info' }).success, false);
  assert.equal(RequestEnvelope.safeParse({ id: 1.5, name: 'app.info' }).success, false);
  assert.equal(RequestEnvelope.safeParse({ id: 1, name: 'x'.repeat(101) }).success, false);
  assert.equal(RequestEnvelope.safeParse([1, 'app.info']).success, false);
});
