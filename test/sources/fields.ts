import t from 'tap';
import { getField, parseFieldPath } from '../../src/sources/fields.js';

const cases: Array<[string, unknown, unknown]> = [
  ['text', { text: 'a' }, 'a'],
  ['payload.body', { payload: { body: 'b' } }, 'b'],
  ['a.b', { 'a.b': 'flat wins' , a: { b: 'nested' } }, 'flat wins'],
  ['a.b.c', { a: { b: null } }, undefined],
  ['a.b', { a: [{ b: 1 }] }, undefined],
  ['missing', { text: 'a' }, undefined],
  ['text', 'a string', undefined],
  ['text', null, undefined],
  ['toString', {}, undefined],
  ['a.constructor', { a: {} }, undefined],
];

for (const [path, record, want] of cases) {
  t.equal(getField(record, parseFieldPath(path)!), want, `${path} of ${JSON.stringify(record)}`);
}

t.test('malformed paths', async (t) => {
  for (const bad of ['', '.a', 'a.', 'a..b']) t.equal(parseFieldPath(bad), undefined, JSON.stringify(bad));
});
