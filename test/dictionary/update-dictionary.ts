import t from 'tap';
import { EMPTY, NEVER, Subject, from, lastValueFrom, take, throwError, toArray } from 'rxjs';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { HashDictionary } from '../../src/dictionary/hash-dictionary.js';
import { updateDictionary } from '../../src/dictionary/update-dictionary.js';
import type { TokenizedDocument } from '../../src/sources/types.js';

const docs: TokenizedDocument[] = [
  { id: 'a', tokens: ['human', 'computer'], label: 1 },
  { id: 'b', tokens: ['computer', 'system', 'ﬀ', '𝐀'] },
  { id: 'c', tokens: [] },
];

t.test('never: no values, no completion', async (t) => {
  const dict = new Dictionary();
  let emitted = 0;
  const sub = NEVER.pipe(updateDictionary(dict)).subscribe({ next: () => emitted++, complete: () => t.fail('completed') });
  sub.unsubscribe();
  t.equal(emitted, 0);
  t.equal(dict.numDocs, 0);
});

t.test('empty', async (t) => {
  const dict = new Dictionary();
  t.same(await lastValueFrom(EMPTY.pipe(updateDictionary(dict), toArray())), []);
  t.equal(dict.numDocs, 0);
});

t.test('one and many: documents pass through unchanged; the dictionary equals addDocuments', async (t) => {
  const one = new Dictionary();
  t.same(await lastValueFrom(from(docs.slice(0, 1)).pipe(updateDictionary(one), toArray())), docs.slice(0, 1));
  t.same(one.toJSON(), new Dictionary([docs[0]!.tokens]).toJSON());

  const many = new Dictionary();
  const out = await lastValueFrom(from(docs).pipe(updateDictionary(many), toArray()));
  t.equal(out[0], docs[0], 'same objects, not copies');
  t.same(many.toJSON(), new Dictionary(docs.map((d) => d.tokens)).toJSON());
});

t.test('each subscription (epoch) adds its documents again', async (t) => {
  const dict = new Dictionary();
  const pipeline = from(docs).pipe(updateDictionary(dict));
  await lastValueFrom(pipeline);
  await lastValueFrom(pipeline);
  t.equal(dict.numDocs, 6);
});

t.test('pruneAt prunes every 10,000 documents as addDocuments does', async (t) => {
  const stream = Array.from({ length: 20001 }, (_, i): TokenizedDocument => ({ id: i, tokens: [`w${i % 50}`, `v${i % 13}`] }));
  const viaOperator = new Dictionary();
  await lastValueFrom(from(stream).pipe(updateDictionary(viaOperator, { pruneAt: 10 })));
  const direct = new Dictionary(stream.map((d) => d.tokens), { pruneAt: 10 });
  t.same(viaOperator.toJSON(), direct.toJSON());
  t.ok(direct.size < 63, 'pruning happened');
});

t.test('works with a HashDictionary', async (t) => {
  const dict = new HashDictionary(null, { idRange: 100 });
  await lastValueFrom(from(docs).pipe(updateDictionary(dict)));
  t.equal(dict.numDocs, 3);
});

t.test('upstream error passes through', async (t) => {
  const dict = new Dictionary();
  await t.rejects(lastValueFrom(throwError(() => new Error('boom')).pipe(updateDictionary(dict))), { message: 'boom' });
});

t.test('a bad document errors with its record number and id', async (t) => {
  const dict = new Dictionary();
  const bad = [docs[0]!, { id: 'x', tokens: 'not tokens' as unknown as string[] }];
  await t.rejects(lastValueFrom(from(bad).pipe(updateDictionary(dict))), {
    code: 'INVALID_FIELD_TYPE',
    position: { record: 2, field: 'tokens' },
    message: /document "x"/,
  });
});

t.test('early unsubscribe stops adding', async (t) => {
  const dict = new Dictionary();
  const subject = new Subject<TokenizedDocument>();
  const got: TokenizedDocument[] = [];
  subject.pipe(updateDictionary(dict), take(1)).subscribe((d) => got.push(d));
  subject.next(docs[0]!);
  subject.next(docs[1]!);
  t.equal(got.length, 1);
  t.equal(dict.numDocs, 1, 'the second document was not added');
  t.notOk(subject.observed, 'unsubscribed from upstream');
});
