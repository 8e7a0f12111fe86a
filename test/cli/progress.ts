import t from 'tap';
import { Writable } from 'node:stream';
import { Progress, formatDuration } from '../../src/cli/progress.js';

function sink(columns?: number) {
  const chunks: string[] = [];
  const w = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  }) as Writable & { columns?: number };
  if (columns !== undefined) w.columns = columns;
  return { w, text: () => chunks.join('') };
}

t.test('formatDuration', async (t) => {
  const cases: Array<[number, string]> = [
    [0, '0:00'],
    [59.4, '0:59'],
    [61, '1:01'],
    [3600 + 62, '1:01:02'],
    [-1, '?'],
    [Infinity, '?'],
  ];
  for (const [s, out] of cases) t.equal(formatDuration(s), out, String(s));
});

t.test('without a terminal: plain lines, throttled unless forced', async (t) => {
  const { w, text } = sink();
  const p = new Progress(w, false, 60_000);
  p.update({ phase: 'training', fraction: 0.5, epoch: 2, epochs: 4, docsPerSecond: 1234.4, loss: 512.345, eta: 65 });
  p.update({ phase: 'training', fraction: 0.6 });
  p.update({ phase: 'training', fraction: 0.7 }, true);
  const lines = text().split('\n').filter(Boolean);
  t.equal(lines.length, 2);
  t.match(lines[0], /^\[0:00\] training 50%: epoch 2\/4, 1,234 docs\/s, loss 512.35, ETA 1:05$/);
  t.notMatch(text(), '\r');
});

t.test('on a terminal: one line redrawn in place, fitted to the width', async (t) => {
  for (const columns of [0, 40, 120]) {
    const { w, text } = sink(columns);
    const p = new Progress(w, true, 0);
    p.update({ phase: 'training', fraction: 0.25, epoch: 1, epochs: 4, docsPerSecond: 900, loss: 300, eta: 30 });
    const line = text().split('\r\x1b[2K').pop()!;
    t.ok(line.length <= (columns || 120) - 1, `fits ${columns} columns: ${JSON.stringify(line)}`);
    t.match(line, /^training /);
    p.log('done');
    t.match(text(), /\r\x1b\[2Kdone\n$/, 'a log line clears the bar first');
  }
});
