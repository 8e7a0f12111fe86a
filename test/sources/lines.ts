import t from 'tap';
import { LineSplitter, type Line } from '../../src/sources/lines.js';

function split(content: Buffer, chunkSize: number, max: number): Array<[number, number, string]> {
  const splitter = new LineSplitter('f', max);
  const out: Line[] = [];
  for (let i = 0; i < content.length; i += chunkSize) out.push(...splitter.push(content.subarray(i, i + chunkSize)));
  out.push(...splitter.end());
  return out.map((l) => [l.line, l.byte, l.error ? `!${l.error.code}` : l.text!]);
}

const cases: Array<{ name: string; content: Buffer; max?: number; want: Array<[number, number, string]> }> = [
  { name: 'empty', content: Buffer.from(''), want: [] },
  { name: 'one line, no newline', content: Buffer.from('abc'), want: [[1, 0, 'abc']] },
  { name: 'only newlines', content: Buffer.from('\n\n'), want: [[1, 0, ''], [2, 1, '']] },
  { name: 'CRLF', content: Buffer.from('a\r\nbc\r\n'), want: [[1, 0, 'a'], [2, 3, 'bc']] },
  { name: 'BOM only at the start', content: Buffer.from('\uFEFFa\n\uFEFFb\n'), want: [[1, 0, 'a'], [2, 5, '\uFEFFb']] },
  { name: 'multi-byte characters', content: Buffer.from('žluť\n日本語\n🙂x\n'), want: [[1, 0, 'žluť'], [2, 7, '日本語'], [3, 17, '🙂x']] },
  {
    name: 'invalid UTF-8 line among good ones',
    content: Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xc3, 0x28, 0x0a]), Buffer.from('fine\n')]),
    want: [[1, 0, 'ok'], [2, 3, '!INVALID_UTF8'], [3, 6, 'fine']],
  },
  { name: 'truncated character at EOF', content: Buffer.from([0x61, 0x0a, 0xe6, 0x97]), want: [[1, 0, 'a'], [2, 2, '!INVALID_UTF8']] },
  {
    name: 'too long lines (limit 4)',
    content: Buffer.from('1234\n12345\nab\n123456789\nz'),
    max: 4,
    want: [[1, 0, '1234'], [2, 5, '!LINE_TOO_LONG'], [3, 11, 'ab'], [4, 14, '!LINE_TOO_LONG'], [5, 24, 'z']],
  },
  { name: 'too long last line without newline', content: Buffer.from('a\nbbbbbb'), max: 4, want: [[1, 0, 'a'], [2, 2, '!LINE_TOO_LONG']] },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    // Every chunking must give the same lines: chunk boundaries are invisible.
    for (let size = 1; size <= c.content.length + 1; size++) {
      t.same(split(c.content, size, c.max ?? 1 << 20), c.want, `chunk size ${size}`);
    }
  });
}

t.test('error positions and raw text', async (t) => {
  const s = new LineSplitter('data.ndjson', 3);
  const [line] = s.push(Buffer.from('abcdef\n'));
  t.match(line!.error, { code: 'LINE_TOO_LONG', position: { file: 'data.ndjson', line: 1, record: 1, byte: 0 }, raw: 'abcdef' });
  const [bad] = new LineSplitter('x', 100).push(Buffer.from([0x61, 0x62, 0xff, 0x0a]));
  t.match(bad!.error, { code: 'INVALID_UTF8', reason: 'Line is not valid UTF-8 (at byte 2)', raw: 'ab\uFFFD' });
});
