// Peak memory while a slow consumer streams a 1 GB NDJSON file through
// ndjsonSource. The consumer is asynchronous (mapAsync, 4 at a time, each
// document waits a macrotask, every 500th waits 1 ms), so without flow control
// the reader would race ahead and buffer the file.
//
// Build first:  npx tsc -p tsconfig.json --noEmitOnError false
// Run:          node bench/sources/rss-1gb.mjs [sizeMB=1024] [--no-flow]
// (--no-flow leaves mapAsync without the source's flow control, to show what it prevents.)
// Prints the peak RSS of this process (process.resourceUsage().maxRSS).
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { ndjsonSource } = await import(join(root, 'dist', 'sources', 'ndjson.js'));
const { mapAsync } = await import(join(root, 'dist', 'sources', 'map-async.js'));

const sizeMB = Number(process.argv[2] ?? 1024);
const useFlow = !process.argv.includes('--no-flow');
const path = join(root, 'bench', 'data', `rss-${sizeMB}mb.ndjson`);

if (!existsSync(path) || statSync(path).size < sizeMB * 2 ** 20) {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '.repeat(12);
  let written = 0;
  let block = '';
  for (let i = 0; written < sizeMB * 2 ** 20; i++) {
    block += JSON.stringify({ id: i, text: `${i} ${filler}` }) + '\n';
    if (block.length >= 4 << 20) {
      writeSync(fd, block);
      written += block.length;
      block = '';
    }
  }
  if (block) writeSync(fd, block);
  closeSync(fd);
}

const bytes = statSync(path).size;
const source = ndjsonSource(path);
const start = Date.now();
let docs = 0;
let textChars = 0;
const hop = () => new Promise((r) => setImmediate(r));
const pause = () => new Promise((r) => setTimeout(r, 1));
await new Promise((resolve, reject) =>
  source
    .pipe(
      mapAsync(
        async (d) => {
          await hop();
          if (d.id % 500 === 0) await pause();
          return d.text.length;
        },
        { flow: useFlow ? source.flow : undefined, concurrency: 4 },
      ),
    )
    .subscribe({
      next: (n) => {
        docs++;
        textChars += n;
      },
      error: reject,
      complete: resolve,
    }),
);
const seconds = (Date.now() - start) / 1000;
const peakMB = process.resourceUsage().maxRSS / 1024;
console.log(`file ${path}: ${(bytes / 2 ** 20).toFixed(0)} MiB, ${docs} documents in ${seconds.toFixed(1)} s`);
console.log(useFlow ? `flow control: in-flight bound ${source.flow.highWaterMark}, peak in flight ${source.flow.peakInFlight}` : 'no flow control');
console.log(`peak RSS ${peakMB.toFixed(0)} MB`);
