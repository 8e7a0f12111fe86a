import t from 'tap';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { formatDictionaryText, parseDictionaryText } from '../../src/dictionary/text-format.js';
import { isCorpusflowError } from '../../src/errors.js';

t.test('format', async (t) => {
  const d = new Dictionary([['b', '𝐀', 'ﬀ'], ['b', 'a']]);
  t.equal(d.toText(), '2\n3\ta\t1\n0\tb\t2\n1\tﬀ\t1\n2\t𝐀\t1\n', 'sorted by word in code point order');
  t.equal(d.toText({ sortByWord: false }), '2\n0\tb\t2\n2\t𝐀\t1\n1\tﬀ\t1\n3\ta\t1\n', 'by decreasing df, ties in first-occurrence (dfs) order; both strings checked with gensim');
  t.equal(new Dictionary().toText(), '0\n', 'empty dictionary');
  t.equal(formatDictionaryText(d), d.toText());
});

t.test('a token with a tab or newline cannot be written', async (t) => {
  for (const bad of ['a\tb', 'a\nb']) {
    const d = new Dictionary([[bad]]);
    t.throws(() => d.toText(), { code: 'DICTIONARY_FORMAT' }, JSON.stringify(bad));
  }
});

const parseCases: Array<{ name: string; text: string; numDocs: number; entries: Array<[number, string, number]> }> = [
  { name: 'gensim file', text: '5\n1\ta\t2\n0\tb\t3\n', numDocs: 5, entries: [[1, 'a', 2], [0, 'b', 3]] },
  { name: 'no trailing newline keeps the last digit (gensim would drop it)', text: '5\n1\ta\t12', numDocs: 5, entries: [[1, 'a', 12]] },
  { name: 'old format without num_docs line', text: '1\ta\t2\n', numDocs: 0, entries: [[1, 'a', 2]] },
  { name: 'CRLF line endings (int() strips the \\r)', text: '5\r\n1\ta\t2\r\n', numDocs: 5, entries: [[1, 'a', 2]] },
  { name: 'num_docs line with spaces', text: ' 7 \n', numDocs: 7, entries: [] },
  { name: 'empty file', text: '', numDocs: 0, entries: [] },
  { name: 'unicode and spaces inside tokens', text: '1\n0\tﬀ 𝐀\t1\n', numDocs: 1, entries: [[0, 'ﬀ 𝐀', 1]] },
  { name: 'negative and signed ids as int() reads them', text: '1\n-3\ta\t+1\n', numDocs: 1, entries: [[-3, 'a', 1]] },
];

t.test('parse', async (t) => {
  for (const c of parseCases) t.same(parseDictionaryText(c.text), { numDocs: c.numDocs, entries: c.entries }, c.name);
});

const badCases: Array<{ name: string; text: string; line: number; match: RegExp }> = [
  { name: 'too few fields', text: '3\n0\ta\t1\n1\tb\n', line: 3, match: /expected "id<TAB>token<TAB>document_frequency"/ },
  { name: 'too many fields', text: '3\n0\ta\tb\t1\n', line: 2, match: /Invalid line/ },
  { name: 'non-numeric df', text: '3\n0\ta\tx\n', line: 2, match: /Invalid line/ },
  { name: 'blank line', text: '3\n0\ta\t1\n\n1\tb\t1\n', line: 3, match: /Invalid line/ },
  { name: 'token defined twice', text: '3\n0\ta\t1\n1\ta\t1\n', line: 3, match: /"a" is defined as id 1 and as id 0/ },
];

t.test('parse errors name file and line', async (t) => {
  for (const c of badCases) {
    try {
      parseDictionaryText(c.text, 'dict.txt');
      t.fail(`${c.name}: should throw`);
    } catch (e) {
      t.ok(isCorpusflowError(e), c.name);
      t.match(e, { code: 'DICTIONARY_FORMAT', position: { file: 'dict.txt', line: c.line } }, c.name);
      t.match((e as Error).message, c.match, c.name);
      t.match((e as Error).message, new RegExp(`^dict.txt:${c.line}: `), `${c.name}: message starts with file:line`);
    }
  }
});

t.test('fromText keeps file order in token2id and leaves cfs empty, as gensim', async (t) => {
  const d = Dictionary.fromText('4\n2\ta\t1\n0\tb\t3\n1\tc\t2\n');
  t.same(Array.from(d.token2id), [['a', 2], ['b', 0], ['c', 1]]);
  t.same(Array.from(d.dfs), [[2, 1], [0, 3], [1, 2]]);
  t.equal(d.cfs.size, 0);
  t.equal(d.numDocs, 4);
  t.equal(d.numPos, 0);
});

t.test('files: saveAsText / loadFromText', async (t) => {
  const dir = t.testdir({ 'bad-utf8.txt': Buffer.from([0x31, 0x0a, 0x30, 0x09, 0xff, 0x09, 0x31, 0x0a]) });
  const d = new Dictionary([['human', 'computer'], ['computer', 'ﬀ', '𝐀']]);
  await d.saveAsText(`${dir}/d.txt`);
  const back = await Dictionary.loadFromText(`${dir}/d.txt`);
  t.equal(back.toText(), d.toText());
  await d.saveAsText(`${dir}/by-df.txt`, { sortByWord: false });
  t.equal((await Dictionary.loadFromText(`${dir}/by-df.txt`)).toText(), d.toText(), 'either order loads to the same dictionary');
  await t.rejects(Dictionary.loadFromText(`${dir}/missing.txt`), { code: 'FILE_NOT_FOUND', position: { file: `${dir}/missing.txt` } });
  await t.rejects(Dictionary.loadFromText(`${dir}/bad-utf8.txt`), { code: 'INVALID_UTF8' });
  await t.rejects(d.saveAsText(`${dir}/no-such-dir/d.txt`), { code: 'FILE_NOT_FOUND' });
});
