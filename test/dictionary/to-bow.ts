import t from 'tap';
import { EMPTY, NEVER, Subject, from, lastValueFrom, take, throwError, toArray } from 'rxjs';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { HashDictionary } from '../../src/dictionary/hash-dictionary.js';
import { toBow } from '../../src/dictionary/to-bow.js';
import type { TokenizedDocument } from '../../src/sources/types.js';

const docs: TokenizedDocument[] = [
  { id: 'a', tokens: ['human', 'computer', 'human'], label: 1 },
  { id: 'b', tokens: ['computer', 'unknown'] },
  { id: 'c', tokens: [] },
];
const dictOf = (): Dictionary => new Dictionary([['human', 'computer']]);

t.test('never', async (t) => {
  let emitted = 0;
  NEVER.pipe(toBow(dictOf())).subscribe(() => emitted++).unsubscribe();
  t.equal(emitted, 0);
});

t.test('empty', async (t) => {
  t.same(await lastValueFrom(EMPTY.pipe(toBow(dictOf()), toArray())), []);
});

t.test('one and many: tokens become bow, other fields are kept', async (t) => {
  t.same(await lastValueFrom(from(docs.slice(0, 1)).pipe(toBow(dictOf()), toArray())), [{ id: 'a', label: 1, bow: [[0, 1], [1, 2]] }]);
  const out = await lastValueFrom(from(docs).pipe(toBow(dictOf()), toArray()));
  t.same(out, [
    { id: 'a', label: 1, bow: [[0, 1], [1, 2]] },
    { id: 'b', bow: [[0, 1]] },
    { id: 'c', bow: [] },
  ]);
  t.notOk('tokens' in out[0]!, 'tokens dropped');
});

t.test('allowUpdate adds unseen tokens', async (t) => {
  const dict = dictOf();
  const out = await lastValueFrom(from(docs).pipe(toBow(dict, { allowUpdate: true }), toArray()));
  t.same(out[1]!.bow, [[0, 1], [2, 1]]);
  t.equal(dict.token2id.get('unknown'), 2);
});

t.test('works with a HashDictionary', async (t) => {
  const out = await lastValueFrom(from(docs).pipe(toBow(new HashDictionary(null, { idRange: 5, debug: false })), toArray()));
  t.equal(out.length, 3);
  t.ok(out[0]!.bow.every(([id]) => id >= 0 && id < 5));
});

t.test('upstream error passes through', async (t) => {
  await t.rejects(lastValueFrom(throwError(() => new Error('boom')).pipe(toBow(dictOf()))), { message: 'boom' });
});

t.test('a bad document errors with its record number and id', async (t) => {
  const bad = [docs[0]!, { id: 7, tokens: 'human' as unknown as string[] }];
  await t.rejects(lastValueFrom(from(bad).pipe(toBow(dictOf()))), { code: 'INVALID_FIELD_TYPE', position: { record: 2 }, message: /document 7/ });
});

t.test('early unsubscribe', async (t) => {
  const subject = new Subject<TokenizedDocument>();
  const got: unknown[] = [];
  subject.pipe(toBow(dictOf()), take(1)).subscribe((d) => got.push(d));
  subject.next(docs[0]!);
  subject.next(docs[1]!);
  t.equal(got.length, 1);
  t.notOk(subject.observed);
});
