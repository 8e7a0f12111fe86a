import t from 'tap';
import { EMPTY, NEVER, Subject, firstValueFrom, from, lastValueFrom, map, of, throwError, toArray } from 'rxjs';
import { preprocess } from '../../src/preprocess/operator.js';
import type { Document } from '../../src/sources/types.js';

const docs: Document[] = [
  { id: 1, text: 'Cats and ponies were running!', label: 'a' },
  { id: 'two', text: '<p>Hello</p> WORLD_wide' },
];

t.test('empty', async (t) => t.same(await lastValueFrom(EMPTY.pipe(preprocess(), toArray())), []));

t.test('one value keeps id and other fields, drops text', async (t) => {
  const out = await firstValueFrom(of(docs[0]!).pipe(preprocess()));
  t.same(out, { id: 1, label: 'a', tokens: ['cat', 'poni', 'run'] });
  t.notOk('text' in out);
});

const variants: Array<[string, Parameters<typeof preprocess>[0], string[][]]> = [
  ['default', {}, [['cat', 'poni', 'run'], ['hello', 'world', 'wide']]],
  ['simple', { filters: 'simple' }, [['cats', 'and', 'ponies', 'were', 'running'], ['hello', 'world_wide']]],
  ['simple minLen', { filters: 'simple', minLen: 5 }, [['ponies', 'running'], ['hello', 'world_wide']]],
  ['none', { filters: 'none' }, [['Cats', 'and', 'ponies', 'were', 'running!'], ['<p>Hello</p>', 'WORLD_wide']]],
  ['names and functions', { filters: ['lowercase', 'strip_tags', (s: string) => s.replace(/ponies/g, 'horses')] },
    [['cats', 'and', 'horses', 'were', 'running!'], ['hello', 'world_wide']]],
  ['custom stop words replace the list', { stopwords: ['cats', 'hello'] }, [['and', 'poni', 'were', 'run'], ['world', 'wide']]],
];
for (const [name, options, want] of variants) {
  t.test(`many values: ${name}`, async (t) => {
    const out = await lastValueFrom(from(docs).pipe(preprocess(options), map((d) => d.tokens), toArray()));
    t.same(out, want);
  });
}

t.test('error passes through', async (t) => {
  await t.rejects(lastValueFrom(throwError(() => new Error('boom')).pipe(preprocess())), { message: 'boom' });
});

t.test('never emits nothing and can be unsubscribed', async (t) => {
  const sub = NEVER.pipe(preprocess()).subscribe(() => t.fail('no value expected'));
  sub.unsubscribe();
  t.ok(sub.closed);
});

t.test('early unsubscribe stops processing', async (t) => {
  const input = new Subject<Document>();
  const seen: string[][] = [];
  const sub = input.pipe(preprocess()).subscribe((d) => seen.push(d.tokens));
  input.next(docs[0]!);
  sub.unsubscribe();
  input.next(docs[1]!);
  t.same(seen, [['cat', 'poni', 'run']]);
});

t.test('callback throws: a user filter error reaches the subscriber', async (t) => {
  const bad = () => {
    throw new Error('filter failed');
  };
  await t.rejects(lastValueFrom(of(docs[0]!).pipe(preprocess({ filters: [bad] }))), { message: 'filter failed' });
});

t.test('bad options fail at pipe time', async (t) => {
  t.throws(() => preprocess({ filters: ['nope'] }), { code: 'INVALID_OPTION' });
  t.throws(() => preprocess({ filters: 'simple', maxLen: -1 }), { code: 'INVALID_OPTION' });
});
