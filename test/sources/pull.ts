// Backpressure of the pull-driven core: sources read only as fast as the
// slowest stage consumes, with a fixed bound on documents in flight.
import t from 'tap';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Observable, take } from 'rxjs';
import { fromDocuments } from '../../src/sources/iterable.js';
import { ndjsonSource } from '../../src/sources/ndjson.js';
import { FlowControl } from '../../src/sources/flow.js';
import { mapAsync } from '../../src/sources/map-async.js';
import { PullSource, emptyStats } from '../../src/sources/pull.js';
import { normaliseSourceOptions } from '../../src/sources/options.js';
import { CorpusflowError } from '../../src/errors.js';
import { collect, eventually, openFdsOn, tempDir } from '../fixtures/sources/helpers.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Bytes still reachable after a full collection. */
function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const hop = () => new Promise<void>((r) => setImmediate(r));

t.test('flow control bounds documents in flight for any bound and concurrency', async (t) => {
  for (const [bound, concurrency] of [[1, 1], [8, 3], [64, 4]] as const) {
    const flow = new FlowControl({ highWaterMark: bound });
    const source = fromDocuments(() => Array.from({ length: 2000 }, (_, i) => ({ id: i, text: `doc ${i}` })), { flow });
    const slow = async (d: { id: string | number }) => {
      await hop();
      await hop();
      return d.id;
    };
    const { values } = await collect(source.pipe(mapAsync(slow, { flow, concurrency })));
    t.equal(values.length, 2000, `bound ${bound}: all documents`);
    t.same(values.slice(0, 5), [0, 1, 2, 3, 4], 'order kept');
    t.ok(flow.peakInFlight <= bound, `bound ${bound}: peak in flight ${flow.peakInFlight}`);
    t.ok(flow.peakInFlight >= Math.min(bound, concurrency), 'the consumer did run concurrently');
    t.equal(flow.inFlight, 0, 'all credits released');
  }
});

t.test('produced minus consumed stays within the bound (counted at the sink)', async (t) => {
  const bound = 16;
  let produced = 0;
  let consumed = 0;
  let maxAhead = 0;
  function* docs() {
    for (let i = 0; i < 3000; i++) {
      produced++;
      maxAhead = Math.max(maxAhead, produced - consumed);
      yield `text ${i}`;
    }
  }
  const flow = new FlowControl({ highWaterMark: bound });
  await new Promise<void>((done) => {
    fromDocuments(docs, { flow })
      .pipe(mapAsync(async (d) => { await hop(); return d; }, { flow, concurrency: 5 }))
      .subscribe({ next: () => consumed++, complete: done });
  });
  t.equal(consumed, 3000);
  t.ok(maxAhead <= bound, `max ahead ${maxAhead} <= ${bound}`);
  t.ok(maxAhead >= 5, 'the consumer did run concurrently');
});

t.test('a synchronous consumer paces the reader without flow control', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'sync.ndjson');
  const line = JSON.stringify({ text: 'x'.repeat(90) }) + '\n';
  const fd = openSync(path, 'w');
  for (let i = 0; i < 20000; i++) writeSync(fd, line);
  closeSync(fd);
  const source = ndjsonSource(path, { highWaterMark: 4096 });
  let maxAhead = 0;
  let count = 0;
  await new Promise<void>((done) =>
    source.subscribe({
      next: () => {
        count++;
        maxAhead = Math.max(maxAhead, source.stats.bytesRead - count * line.length);
      },
      complete: done,
    }),
  );
  t.equal(count, 20000);
  t.ok(maxAhead <= 4096, `read ahead ${maxAhead} bytes <= one chunk`);
});

t.test('slow async consumer over a large file: bounded read-ahead, flat RSS', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'big.ndjson');
  const docBytes = 1024;
  const record = (i: number) => {
    const head = `{"id":${i},"text":"`;
    return head + 'w'.repeat(docBytes - head.length - 3) + '"}\n';
  };
  const total = 64 * 1024; // 64 MiB of 1 KiB documents
  const fd = openSync(path, 'w');
  let block = '';
  for (let i = 0; i < total; i++) {
    block += record(i);
    if (block.length >= 1 << 20) {
      writeSync(fd, block);
      block = '';
    }
  }
  writeSync(fd, block);
  closeSync(fd);

  const chunk = 64 * 1024;
  const bound = 32;
  const flow = new FlowControl({ highWaterMark: bound });
  const source = ndjsonSource(path, { flow, highWaterMark: chunk });
  // Baseline after a warm-up (the first 4 MiB): "flat" means no growth with the
  // amount read once the pipeline runs, not that a fresh heap stays small.
  let rssBefore = 0;
  let peakRss = 0;
  let consumed = 0;
  let maxAheadBytes = 0;
  await new Promise<void>((done, fail) =>
    source
      .pipe(mapAsync(async (d) => { await hop(); return d.text.length; }, { flow, concurrency: 4 }))
      .subscribe({
        next: () => {
          consumed++;
          maxAheadBytes = Math.max(maxAheadBytes, source.stats.bytesRead - consumed * docBytes);
          if (consumed === 4096) rssBefore = peakRss = liveBytes();
          else if (consumed % 2048 === 0) peakRss = Math.max(peakRss, liveBytes());
        },
        error: fail,
        complete: done,
      }),
  );
  t.equal(consumed, total);
  // At most one chunk read but not yet parsed, plus `bound` documents held downstream.
  t.ok(maxAheadBytes <= chunk + bound * docBytes, `read ahead ${maxAheadBytes} bytes <= ${chunk + bound * docBytes}`);
  const growthMiB = (peakRss - rssBefore) / 2 ** 20;
  // Live memory after a full GC (heap + array buffers), not RSS: RSS moved with V8's GC headroom (17–97 MiB
  // on a loaded CI machine with nothing retained). Without flow control the read-ahead alone holds ~27 MB.
  t.ok(growthMiB < 16, `live memory grew ${growthMiB.toFixed(1)} MiB while streaming the next 60 MiB (bound 16)`);
});

t.test('unsubscribing while the source waits for credit closes the file', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'stuck.ndjson');
  const fd = openSync(path, 'w');
  for (let i = 0; i < 5000; i++) writeSync(fd, `{"text":"t${i}"}\n`);
  closeSync(fd);
  const flow = new FlowControl({ highWaterMark: 4 });
  const source = ndjsonSource(path, { flow, highWaterMark: 256 });
  // A stage that holds every document and never finishes: the source must stop at 4.
  const never = new Promise<never>(() => undefined);
  const sub = source.pipe(mapAsync(() => never, { flow, concurrency: 100 })).subscribe();
  t.ok(await eventually(() => source.stats.emitted === 4));
  await new Promise((r) => setTimeout(r, 50));
  t.equal(source.stats.emitted, 4, 'still 4: the source is waiting');
  t.equal(openFdsOn(path), 1, 'file open while waiting');
  sub.unsubscribe();
  t.ok(await eventually(() => openFdsOn(path) === 0), 'file closed after unsubscribe');
  t.equal(flow.inFlight, 0, 'credits returned on unsubscribe');
});

t.test('PullSource core: reader errors, non-record errors under skip, finally runs', async (t) => {
  const cases: Array<{ name: string; items: unknown[][]; onError: 'fail' | 'skip'; want: unknown[]; error?: object }> = [
    { name: 'never-ending reader stopped by take', items: [], onError: 'fail', want: [] },
    { name: 'record error skipped', items: [[{ id: 1, text: 'a' }, new CorpusflowError('EMPTY_LINE', 'x')], [{ id: 2, text: 'b' }]], onError: 'skip', want: [1, 2] },
    { name: 'non-record error fails even under skip', items: [[{ id: 1, text: 'a' }, new CorpusflowError('IO_ERROR', 'disk')]], onError: 'skip', want: [1], error: { code: 'IO_ERROR' } },
    { name: 'empty reader', items: [[]], onError: 'fail', want: [] },
  ];
  for (const c of cases) {
    let closed = 0;
    const options = normaliseSourceOptions({ onError: c.onError });
    const source = new PullSource('test', options, async function* () {
      try {
        if (c.items.length === 0) for (let i = 0; ; i++) yield [{ id: i, text: '' }];
        for (const batch of c.items) yield batch as never;
      } finally {
        closed++;
      }
    });
    const src: Observable<{ id: unknown }> = c.items.length === 0 ? source.pipe(take(3)) : source;
    const { values, error } = await collect(src);
    t.same(values.map((d) => d.id), c.items.length === 0 ? [0, 1, 2] : c.want, c.name);
    if (c.error) t.match(error, c.error, `${c.name}: error`);
    else t.equal(error, undefined, `${c.name}: no error`);
    t.ok(await eventually(() => closed === 1), `${c.name}: reader finalised once`);
  }
  t.same(emptyStats(), { records: 0, emitted: 0, skipped: 0, skippedByCode: {}, bytesRead: 0 });
});
