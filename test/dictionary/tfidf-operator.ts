import t from 'tap';
import { EMPTY, NEVER, Subject, from, lastValueFrom, take, throwError, toArray } from 'rxjs';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { TfidfModel } from '../../src/dictionary/tfidf.js';
import { tfidf } from '../../src/dictionary/tfidf-operator.js';
import type { BowDocument } from '../../src/dictionary/types.js';

const dict = new Dictionary([['a', 'b'], ['b', 'c'], ['c', 'd']]);
const model = TfidfModel.fromDictionary(dict);
const docs: BowDocument[] = [
  { id: 1, bow: dict.doc2bow(['a', 'b', 'b']), label: 'x' },
  { id: 2, bow: [] },
];

t.test('never', async (t) => {
  let emitted = 0;
  NEVER.pipe(tfidf(model)).subscribe(() => emitted++).unsubscribe();
  t.equal(emitted, 0);
});

t.test('empty', async (t) => {
  t.same(await lastValueFrom(EMPTY.pipe(tfidf(model), toArray())), []);
});

t.test('one and many: bow re-weighted, other fields kept', async (t) => {
  const out = await lastValueFrom(from(docs).pipe(tfidf(model), toArray()));
  t.same(out, [
    { id: 1, bow: model.transform(docs[0]!.bow), label: 'x' },
    { id: 2, bow: [] },
  ]);
  t.same(docs[0]!.bow, dict.doc2bow(['a', 'b', 'b']), 'input not mutated');
});

t.test('error passes through, and a zero count errors', async (t) => {
  await t.rejects(lastValueFrom(throwError(() => new Error('boom')).pipe(tfidf(model))), { message: 'boom' });
  await t.rejects(lastValueFrom(from([{ id: 1, bow: [[0, 0]] as Array<[number, number]> }]).pipe(tfidf(model))), { code: 'INVALID_FIELD_TYPE' });
});

t.test('early unsubscribe', async (t) => {
  const subject = new Subject<BowDocument>();
  const got: unknown[] = [];
  subject.pipe(tfidf(model), take(1)).subscribe((d) => got.push(d));
  subject.next(docs[0]!);
  subject.next(docs[1]!);
  t.equal(got.length, 1);
  t.notOk(subject.observed);
});
