// bench/lib/measure.js: wall time, peak RSS of a child's whole process tree,
// and the JSON line every benchmark script prints last.
import t from 'tap';
import { lastJsonLine, measureCommand, processTree, readStatusKb } from '../../bench/lib/measure.js';

const node = process.execPath;

t.test('lastJsonLine takes the last line that is a JSON object', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['log line\n{"docs": 3, "seconds": 1}\n', { docs: 3, seconds: 1 }],
    ['{"docs": 1}\n\n\n', { docs: 1 }],
    ['{"docs": 1}\n{"docs": 2}\n', { docs: 2 }],
    ['{"docs": 1}\n=====\nHi, looks like you are running TensorFlow.js in Node.js.\n', { docs: 1 }],
    ['{"docs": 1}\n{"broken": \n', { docs: 1 }],
    ['[1, 2]\n', null],
    ['{"broken": \n', null],
    ['plain text only\n', null],
    ['', null],
    ['null\n', null],
  ];
  for (const [stdout, expected] of cases) t.same(lastJsonLine(stdout), expected, JSON.stringify(stdout));
});

t.test('reads /proc for this process', async (t) => {
  t.ok(readStatusKb(process.pid, 'VmHWM') > 0, 'VmHWM of self');
  t.equal(readStatusKb(2 ** 30, 'VmHWM'), 0, 'a missing pid reads as 0');
  t.same(processTree(process.pid).slice(0, 1), [process.pid]);
});

t.test('measures the peak RSS of a child that allocates 200 MB, and parses its result', async (t) => {
  const script = `const b = Buffer.alloc(200 * 1024 * 1024, 1); setTimeout(() => { console.log('working'); console.log(JSON.stringify({docs: b[5], seconds: 0.5, docs_per_s: 2})); }, 300);`;
  const run = await measureCommand([node, '-e', script]);
  t.equal(run.code, 0);
  t.same(run.result, { docs: 1, seconds: 0.5, docs_per_s: 2 });
  t.ok(run.peakRssMb !== null && run.peakRssMb >= 200, `peak ${run.peakRssMb} MB ≥ 200 MB`);
  t.ok(run.seconds > 0);
});

t.test('counts a grandchild: the peak covers the whole process tree', async (t) => {
  const grandchild = `const b = Buffer.alloc(250 * 1024 * 1024, 1); setTimeout(() => process.exit(b[0] - 1), 1500);`;
  const parent = `require('child_process').spawnSync(process.execPath, ['-e', ${JSON.stringify(grandchild)}], {stdio: 'inherit'}); console.log('{"docs": 0}');`;
  const run = await measureCommand([node, '-e', parent]);
  t.equal(run.code, 0);
  t.ok(run.peakRssMb !== null && run.peakRssMb >= 250, `peak ${run.peakRssMb} MB ≥ 250 MB though the parent stays small`);
});

t.test('takes a larger self-reported peak_rss_mb', async (t) => {
  const run = await measureCommand([node, '-e', 'console.log(JSON.stringify({docs: 1, peak_rss_mb: 99999}))']);
  t.equal(run.peakRssMb, 99999);
  t.ok(run.polledRssMb === null || run.polledRssMb < 99999);
});

t.test('reports failures: exit code, stderr tail, a missing executable', async (t) => {
  const failing = await measureCommand([node, '-e', 'console.error("bad input at line 3"); process.exit(3)']);
  t.equal(failing.code, 3);
  t.match(failing.stderrTail, /bad input at line 3/);
  t.equal(failing.result, null);
  const missing = await measureCommand(['/nonexistent/python3', '-c', 'pass']);
  t.not(missing.code, 0);
  t.match(String(missing.error), /ENOENT/);
});

t.test('passes env and streams lines to onLine', async (t) => {
  const lines: string[] = [];
  const run = await measureCommand([node, '-e', 'console.log(process.env.BENCH_T); console.log("{}")'], {
    env: { BENCH_T: 'hello' },
    onLine: (line: string) => lines.push(line),
  });
  t.equal(run.code, 0);
  t.same(lines, ['hello', '{}']);
});
