// Pipeline files are untrusted input (issue 6 §2): YAML parsing executes nothing, expansion bombs and deep
// nesting are rejected without exhausting memory, and no key can make corpusflow load a JavaScript module.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipeline, validatePipelineText } from '../../src/config/load.js';
import { isCorpusflowError } from '../../src/errors.js';
import { tempDir } from '../fixtures/sources/helpers.js';
import { RssProbe } from '../fixtures/hostile/gen.js';

const dir = tempDir(t, 'cf-hostile-config-');
const marker = '__corpusflow_hostile_marker__';
const g = globalThis as Record<string, unknown>;

/** A module that leaves a mark when anything imports it. */
const evil = join(dir, 'evil.mjs');
writeFileSync(evil, `globalThis.${marker} = 'imported';\nexport default function filter(s) { globalThis.${marker} = 'called'; return s; }\n`);

const valid = 'source: { ndjson: corpus.ndjson }\n';

/** Validate and require a CONFIG_INVALID naming file, line and column; never a thrown error. */
function rejects(t: Test, name: string, text: string, field?: string): void {
  const result = validatePipelineText(text, 'pipeline.yaml', { env: {} });
  t.notOk(result.ok, `${name}: rejected`);
  if (result.ok) return;
  const first = result.errors[0]!;
  t.ok(isCorpusflowError(first), `${name}: a CorpusflowError`);
  t.match(first, { code: 'CONFIG_INVALID', position: { file: 'pipeline.yaml', line: Number, column: Number } }, `${name}: names line and column`);
  if (field) t.ok(result.errors.some((e) => e.position.field === field), `${name}: names ${field}`);
}

t.test('tags that execute code or load files in other YAML loaders are errors', async (t) => {
  const cases: Array<[string, string]> = [
    ['!!js/function', 'source: { ndjson: !!js/function "function () { globalThis.__corpusflow_hostile_marker__ = 1 }" }\n'],
    ['verbatim js/function tag', 'source: !<tag:yaml.org,2002:js/function> "function () {}"\n'],
    ['!!js/regexp', 'source: { ndjson: !!js/regexp /a+/ }\n'],
    ['!!js/undefined', 'source: { ndjson: !!js/undefined "" }\n'],
    ['!!python/object/apply', 'source: !!python/object/apply:os.system ["touch pwned"]\n'],
    ['!include', `source: !include ${evil}\n`],
    ['custom local tag', 'source: { ndjson: !import evil.mjs }\n'],
  ];
  for (const [name, text] of cases) rejects(t, name, text);
  t.equal(g[marker], undefined, 'nothing ran');
});

t.test('structures that blow up parsers: rejected, in bounded memory', async (t) => {
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (const [i, c] of 'bcdefghi'.split('').entries()) {
    const prev = 'abcdefghi'[i]!;
    laughs.push(`${c}: &${c} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const cases: Array<[string, string]> = [
    ['100k-deep flow sequence', `source: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`],
    ['50k-deep JSON object', `{"source":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`],
    ['3000-deep block mapping', Array.from({ length: 3000 }, (_, i) => ' '.repeat(i) + 'k:').join('\n') + ' 1\n'],
    ['a million-character key', `${'k'.repeat(1_000_000)}: 1\n${valid}`],
    ['self-referencing alias', `a: &a [*a]\n${valid}`],
    ['merge key from an alias', `base: &b { ndjson: x }\nsource: { <<: *b }\n`],
  ];
  const probe = new RssProbe();
  for (const [name, text] of cases) rejects(t, name, text);
  // Billion laughs: 9^9 "lol"s if expanded. It must never be expanded or accepted.
  let accepted = false;
  let thrown: unknown;
  try {
    accepted = validatePipelineText(laughs.join('\n') + '\n' + valid, 'pipeline.yaml', { env: {} }).ok;
  } catch (e) {
    thrown = e;
  }
  t.notOk(accepted, 'billion laughs: never accepted');
  const growth = probe.stop();
  t.ok(growth < 300, `RSS grew ${growth.toFixed(0)} MiB over all of them (limit 300)`);
  t.test('billion laughs is a CONFIG_INVALID with a position', async (t) => {
    t.equal(thrown, undefined, 'no raw exception');
    const r = validatePipelineText(laughs.join('\n') + '\n' + valid, 'pipeline.yaml', { env: {} });
    t.equal(r.ok ? undefined : r.errors[0]?.code, 'CONFIG_INVALID');
    t.match(r.ok ? '' : r.errors[0]?.message, /^pipeline\.yaml:\d+:\d+: invalid YAML: Excessive alias count/);
  });
});

t.test('__proto__ and constructor keys pollute nothing', async (t) => {
  rejects(t, 'top-level __proto__', `${valid}__proto__: { polluted: 1 }\n`, '__proto__');
  rejects(t, 'nested __proto__', 'source: { ndjson: x, __proto__: { polluted: 1 } }\n', 'source.__proto__');
  const viaSet = validatePipelineText(valid, 'pipeline.yaml', { env: {}, set: ['__proto__.polluted=1', 'constructor.prototype.polluted=1', 'source.__proto__.polluted=1'] });
  t.notOk(viaSet.ok, '--set __proto__.x: rejected');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});

t.test('no key makes a pipeline load a JavaScript module', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['a filter given as a module path', `${valid}preprocess: [lowercase, "${evil}"]\n`, 'preprocess[1]'],
    ['a preset given as a module path', `${valid}preprocess: "${evil}"\n`, 'preprocess'],
    ['a plugins key', `${valid}plugins: ["${evil}"]\n`, 'plugins'],
    ['a require key', `${valid}require: "${evil}"\n`, 'require'],
    ['an import key in a section', `source: { ndjson: x, import: "${evil}" }\n`, 'source.import'],
    ['a model named by module path', `${valid}model: { "${evil}": {} }\n`, `model.${evil}`],
    ['a backend named by module path', `${valid}train: { backend: "${evil}" }\n`, 'train.backend'],
    ['an optimizer named by module path', `${valid}train: { optimizer: { "${evil}": {} } }\n`, `train.optimizer.${evil}`],
  ];
  for (const [name, text, field] of cases) rejects(t, name, text, field);
  // The whole loading path, from a file on disk.
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, cases[0]![1]);
  await t.rejects(loadPipeline(file, { env: {} }), { code: 'CONFIG_INVALID' });
  t.equal(g[marker], undefined, 'the module was never imported');
});
