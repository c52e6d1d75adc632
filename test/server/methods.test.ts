// The wire-method table (src/server/http/methods.ts) and the routing derived from it
// (src/server/http/request-handler.ts route()): every method of protocol 11 is in the table
// under its wire name, and only under its own path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHODS } from '../../src/server/http/methods.ts';
import { route } from '../../src/server/http/request-handler.ts';

const COLLECTION = [
  'hostKey',
  'meta',
  'start',
  'applyGraves',
  'applyChanges',
  'chunk',
  'applyChunk',
  'sanityCheck2',
  'finish',
  'abort',
  'upload',
  'download',
];
const MEDIA = ['begin', 'mediaChanges', 'uploadChanges', 'downloadFiles', 'mediaSanity'];

const statusOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { status?: number }).status;
  }
};

test('the table holds the 12 collection and 5 media methods of protocol 11, by wire name', () => {
  const names = (kind: string) =>
    Object.entries(METHODS)
      .filter(([, spec]) => spec.kind === kind)
      .map(([name]) => name);
  assert.deepEqual(names('collection'), COLLECTION);
  assert.deepEqual(names('media'), MEDIA);
});

test('each method is routed from its own path to its own row', () => {
  for (const name of COLLECTION)
    assert.deepEqual(route('POST', `/sync/${name}`), { kind: 'method', name, spec: METHODS[name as keyof typeof METHODS] });
  for (const name of MEDIA)
    assert.deepEqual(route('POST', `/msync/${name}`), { kind: 'method', name, spec: METHODS[name as keyof typeof METHODS] });
});

test("a method under the other sync's path, a wrong case or an Object property is an unknown method (400)", () => {
  assert.equal(
    statusOf(() => route('POST', '/sync/begin')),
    400,
  );
  assert.equal(
    statusOf(() => route('POST', '/msync/meta')),
    400,
  );
  assert.equal(
    statusOf(() => route('POST', '/sync/Meta')),
    400,
  );
  assert.equal(
    statusOf(() => route('POST', '/sync/constructor')),
    400,
  );
  assert.equal(
    statusOf(() => route('POST', '/msync/toString')),
    400,
  );
});

test('only the normal-sync steps need the sync in progress', () => {
  const steps = Object.entries(METHODS)
    .filter(([, spec]) => spec.session === 'step')
    .map(([name]) => name);
  assert.deepEqual(steps, ['applyGraves', 'applyChanges', 'chunk', 'applyChunk', 'sanityCheck2', 'finish']);
});
