// samples/etl-enrich.mjs imports from 'corpusflow' (the built package): it runs against dist/.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { distBuilt, root } from '../fixtures/cli/run-cli.js';

if (!distBuilt()) t.fail('dist/ is missing: run `npm run build` first');

t.test('the ETL sample enriches an NDJSON stream and dead-letters bad lines', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-enrich-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const input = '{"id":"a","text":"Cats chase cats; dogs chase cats."}\nnot json\n{"id":"b","text":"<p>Hello world</p>"}\n';
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'samples', 'etl-enrich.mjs'), '-'], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    child.on('close', (c) => resolve({ code: c, stdout, stderr }));
    child.stdin.end(input);
  });
  t.equal(code, 0, stderr);
  const records = stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  t.equal(records.length, 2);
  t.match(records[0], { id: 'a', text: String, sha256: /^[0-9a-f]{64}$/, tokens: 6, top_terms: ['cat', 'chase', 'dog'] });
  t.match(records[1], { id: 'b', tokens: 2, top_terms: ['hello', 'world'] });
  t.match(stderr, 'etl-enrich: 2 records enriched, 1 skipped');
  const dead = JSON.parse(readFileSync(path.join(dir, 'enrich-dead-letter.ndjson'), 'utf8'));
  t.match(dead, { line: 2, code: 'INVALID_JSON', raw: 'not json' });
});
