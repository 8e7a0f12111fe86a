import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { take } from 'rxjs';
import { fromDocuments } from '../../src/sources/iterable.js';
import { collect, eventually, tempDir } from '../fixtures/sources/helpers.js';

async function* asyncGen(n: number) {
  for (let i = 0; i < n; i++) {
    await Promise.resolve();
    yield { id: `a${i}`, text: `async ${i}` };
  }
}

t.test('inputs', async (t) => {
  const cases: Array<{ name: string; input: Parameters<typeof fromDocuments>[0]; opts?: object; want: Array<[unknown, string]> }> = [
    { name: 'empty array', input: [], want: [] },
    { name: 'one string', input: ['hello'], want: [[1, 'hello']] },
    { name: 'documents', input: [{ id: 'x', text: 'a' }, { text: 'b' }], want: [['x', 'a'], [2, 'b']] },
    { name: 'dotted fields', input: [{ m: { k: 9 }, p: { b: 'deep' } }], opts: { text: 'p.b', id: 'm.k' }, want: [[9, 'deep']] },
    { name: 'generator factory', input: function* () { yield 'g1'; yield 'g2'; }, want: [[1, 'g1'], [2, 'g2']] },
    { name: 'async iterable factory', input: () => asyncGen(3), want: [['a0', 'async 0'], ['a1', 'async 1'], ['a2', 'async 2']] },
    { name: 'many (more than one sync batch)', input: Array.from({ length: 1000 }, (_, i) => `t${i}`), want: Array.from({ length: 1000 }, (_, i) => [i + 1, `t${i}`] as [number, string]) },
  ];
  for (const c of cases) {
    const { values, error } = await collect(fromDocuments(c.input, c.opts));
    t.equal(error, undefined, c.name);
    t.same(values.map((d) => [d.id, d.text]), c.want, c.name);
  }
});

t.test('user objects are not modified', async (t) => {
  const item = { body: 'x', extra: 1 };
  const { values } = await collect(fromDocuments([item], { text: 'body' }));
  t.same(item, { body: 'x', extra: 1 });
  t.same(values[0], { body: 'x', extra: 1, id: 1, text: 'x' });
});

t.test('bad items: fail and skip with dead letter', async (t) => {
  const input = [{ text: 'ok' }, { text: 42 }, { nope: 1 }, 'fine'];
  const failed = await collect(fromDocuments(input));
  t.same(failed.values.map((d) => d.text), ['ok']);
  t.match(failed.error, { code: 'INVALID_FIELD_TYPE', position: { record: 2, field: 'text' } });
  const dir = tempDir(t);
  const deadLetter = join(dir, 'dead.ndjson');
  const source = fromDocuments(input, { onError: 'skip', deadLetter });
  const skipped = await collect(source);
  t.same(skipped.values.map((d) => [d.id, d.text]), [[1, 'ok'], [4, 'fine']]);
  t.same(source.stats.skippedByCode, { INVALID_FIELD_TYPE: 1, MISSING_FIELD: 1 });
  const dead = readFileSync(deadLetter, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(dead.map((d) => [d.record, d.code, d.raw]), [[2, 'INVALID_FIELD_TYPE', '{"text":42}'], [3, 'MISSING_FIELD', '{"nope":1}']]);
});

t.test('pull-driven: take(n) pulls no more than needed and finalises the generator', async (t) => {
  for (const kind of ['sync', 'async'] as const) {
    let pulled = 0;
    let finalised = false;
    const sync = function* () {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield `s${i}`;
        }
      } finally {
        finalised = true;
      }
    };
    const async = async function* () {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield `s${i}`;
        }
      } finally {
        finalised = true;
      }
    };
    const { values } = await collect(fromDocuments(kind === 'sync' ? sync : async).pipe(take(5)));
    t.equal(values.length, 5, kind);
    t.ok(await eventually(() => finalised), `${kind}: generator finalised`);
    t.ok(pulled <= 6, `${kind}: pulled ${pulled}`);
  }
});

t.test('an iterator that throws fails the stream', async (t) => {
  const { values, error } = await collect(fromDocuments(function* () { yield 'a'; throw new Error('db down'); }));
  t.same(values.map((d) => d.text), ['a']);
  t.match(error, { message: 'db down' });
});

t.test('subscribing twice: factories and arrays replay, generator objects do not', async (t) => {
  const factory = fromDocuments(() => asyncGen(4));
  t.same((await collect(factory)).values, (await collect(factory)).values);
  t.equal(factory.stats.emitted, 4);
  const array = fromDocuments(['a', 'b']);
  t.same((await collect(array)).values, (await collect(array)).values);
  const once = fromDocuments((function* () { yield 'a'; })());
  t.equal((await collect(once)).values.length, 1);
  t.equal((await collect(once)).values.length, 0, 'a generator object is consumed by the first epoch');
});

t.test('invalid input', async (t) => {
  t.throws(() => fromDocuments(42 as never), { code: 'INVALID_OPTION' });
  const { error } = await collect(fromDocuments((() => 5) as never));
  t.match(error, { code: 'INVALID_OPTION' });
});
