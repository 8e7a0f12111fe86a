import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPipeline, validatePipelineText, interpolateString } from '../../src/config/load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'fixtures', 'config');

const invalid: Array<{ name: string; text: string; errors: Array<{ code: string; message: string }>; set?: string[]; env?: Record<string, string> }> = [
  {
    name: 'misspelled key, with did-you-mean',
    text: 'source:\n  ndjson: a.ndjson\ndictionary:\n  no_bellow: 5\n',
    errors: [
      {
        code: 'CONFIG_INVALID',
        message:
          'p.yaml:4:3, field "dictionary.no_bellow": unknown key "no_bellow": expected one of mode | no_below | no_above | keep_n | keep_tokens | prune_at | capacity | cache [CONFIG_INVALID] (did you mean "no_below"?)',
      },
    ],
  },
  {
    name: 'misspelled top-level key',
    text: 'source: { ndjson: a.ndjson }\npreproces: none\n',
    errors: [
      {
        code: 'CONFIG_INVALID',
        message:
          'p.yaml:2:1, field "preproces": unknown key "preproces": expected one of name | source | preprocess | dictionary | batch | model | train | evaluate | output [CONFIG_INVALID] (did you mean "preprocess"?)',
      },
    ],
  },
  {
    name: 'wrong type',
    text: 'source: { ndjson: a.ndjson }\nbatch:\n  size: "sixty-four"\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:3:9, field "batch.size": expected number, found string "sixty-four" [CONFIG_INVALID]' }],
  },
  {
    name: 'number out of range',
    text: 'source: { ndjson: a.ndjson }\nmodel: { prodlda: { topics: 0 } }\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:2:29, field "model.prodlda.topics": expected a number > 0, found number 0 [CONFIG_INVALID]' }],
  },
  {
    name: 'missing source',
    text: 'name: x\nbatch: { size: 8 }\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:1:1, field "source": missing required key "source": expected an object, found nothing [CONFIG_INVALID]' }],
  },
  {
    name: 'source with no input kind',
    text: 'source:\n  id: id\n',
    errors: [
      {
        code: 'CONFIG_INVALID',
        message: 'p.yaml:2:3, field "source": expected exactly one of ndjson | csv | text | files, found none [CONFIG_INVALID] (e.g. source: { ndjson: data/corpus.ndjson })',
      },
    ],
  },
  {
    name: 'two input kinds',
    text: 'source:\n  ndjson: a.ndjson\n  csv: b.csv\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:3:8, field "source.csv": expected exactly one of ndjson | csv | text | files, found ndjson and csv [CONFIG_INVALID]' }],
  },
  {
    name: 'unknown filter',
    text: 'source: { ndjson: a.ndjson }\npreprocess:\n  - lowercase\n  - strip_tagz\n',
    errors: [
      {
        code: 'CONFIG_INVALID',
        message:
          'p.yaml:4:5, field "preprocess[1]": unknown filter "strip_tagz": expected one of lowercase | strip_tags | strip_punctuation | strip_multiple_whitespaces | strip_numeric | remove_stopwords | strip_short | stem_text | strip_non_alphanum | split_alphanum | lower_to_unicode | stem [CONFIG_INVALID] (did you mean "strip_tags"?)',
      },
    ],
  },
  {
    name: 'unknown preset',
    text: 'source: { ndjson: a.ndjson }\npreprocess: simpel\n',
    errors: [
      { code: 'CONFIG_INVALID', message: 'p.yaml:2:13, field "preprocess": invalid value "simpel": expected one of default | simple | none [CONFIG_INVALID] (did you mean "simple"?)' },
    ],
  },
  {
    name: 'preprocess of the wrong type',
    text: 'source: { ndjson: a.ndjson }\npreprocess: 3\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:2:13, field "preprocess": expected string or array, found number 3 [CONFIG_INVALID]' }],
  },
  {
    name: 'several errors, in file order',
    text: 'source: { ndjson: a.ndjson, on_error: ignore }\ntrain:\n  epochs: -1\n  backend: gpu\n',
    errors: [
      { code: 'CONFIG_INVALID', message: 'p.yaml:1:39, field "source.on_error": invalid value "ignore": expected one of fail | skip [CONFIG_INVALID]' },
      { code: 'CONFIG_INVALID', message: 'p.yaml:3:11, field "train.epochs": expected a number > 0, found number -1 [CONFIG_INVALID]' },
      { code: 'CONFIG_INVALID', message: 'p.yaml:4:12, field "train.backend": invalid value "gpu": expected one of auto | tensorflow | wasm | cpu [CONFIG_INVALID] (did you mean "cpu"?)' },
    ],
  },
  {
    name: 'two optimizers',
    text: 'source: { ndjson: a.ndjson }\ntrain:\n  optimizer: { adam: {}, sgd: {} }\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:3:14, field "train.optimizer": expected exactly one optimizer (adam | sgd), found adam and sgd [CONFIG_INVALID]' }],
  },
  {
    name: 'csv option on an ndjson source',
    text: 'source: { ndjson: a.ndjson, delimiter: ";" }\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:1:40, field "source.delimiter": "delimiter" applies only to csv sources, found a ndjson source [CONFIG_INVALID]' }],
  },
  {
    name: 'YAML syntax error',
    text: 'source:\n  ndjson: [a\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:3:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] [CONFIG_INVALID]' }],
  },
  {
    name: 'custom tags are not executed',
    text: 'source: !!js/function "function () { process.exit(3) }"\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:1:9: unsupported YAML tag: Unresolved tag: tag:yaml.org,2002:js/function [CONFIG_INVALID]' }],
  },
  {
    name: 'top level is not a mapping',
    text: '- a\n- b\n',
    errors: [{ code: 'CONFIG_INVALID', message: 'p.yaml:1:1: expected a mapping of pipeline keys at the top level, found a list [CONFIG_INVALID]' }],
  },
  {
    name: 'unset environment variable',
    text: 'source:\n  ndjson: ${CORPUS_DIR}/a.ndjson\n',
    env: {},
    errors: [
      {
        code: 'CONFIG_INVALID',
        message: 'p.yaml:2:11, field "source.ndjson": environment variable CORPUS_DIR is not set [CONFIG_INVALID] (set it, or give a default: ${CORPUS_DIR:-value})',
      },
    ],
  },
  {
    name: 'bad --set value is named as such',
    text: 'source: { ndjson: a.ndjson }\n',
    set: ['train.epochs=many'],
    errors: [{ code: 'CONFIG_INVALID', message: '--set train.epochs, field "train.epochs": expected number, found string "many" [CONFIG_INVALID]' }],
  },
  {
    name: '--set without =',
    text: 'source: { ndjson: a.ndjson }\n',
    set: ['train.epochs'],
    errors: [{ code: 'USAGE', message: 'field "train.epochs": invalid --set "train.epochs": expected key.path=value [USAGE] (use --set key.path=value, e.g. --set train.epochs=5)' }],
  },
];

for (const c of invalid) {
  t.test(c.name, async (t) => {
    const r = validatePipelineText(c.text, 'p.yaml', { env: c.env ?? {}, ...(c.set ? { set: c.set } : {}) });
    t.equal(r.ok, false);
    t.same(
      r.errors.map((e) => ({ code: e.code, message: e.message })),
      c.errors,
    );
  });
}

t.test('the issue example validates, with paths relative to the pipeline file', async (t) => {
  const p = await loadPipeline(path.join(fixtures, 'valid.yaml'), { env: {} });
  t.equal(p.config.name, 'bbc-topics');
  t.equal(p.config.source.ndjson, path.join(fixtures, 'data/bbc-news.ndjson.gz'));
  t.equal(p.config.source.text, 'text', 'the text field is not a path');
  t.equal(p.config.source.dead_letter, path.join(fixtures, 'out/bad.ndjson'));
  t.equal(p.config.output, path.join(fixtures, 'out/bbc-topics'));
  t.same(p.config.model, { prodlda: { topics: 20, hidden: [100, 100], dropout: 0.2 } });
});

t.test('JSON pipelines validate the same way', async (t) => {
  const p = await loadPipeline(path.join(fixtures, 'valid.json'), { env: {} });
  t.same(p.config.preprocess, ['lowercase', 'strip_tags']);
  t.same(p.config.output, { dir: path.join(fixtures, 'out/json'), doc_topics: true });
});

t.test('a text source alone is a file of lines, resolved as a path', async (t) => {
  const r = validatePipelineText('source: { text: corpus.txt }\n', '/tmp/pipes/p.yaml', { env: {} });
  t.ok(r.ok);
  if (r.ok) t.equal(r.pipeline.config.source.text, '/tmp/pipes/corpus.txt');
});

t.test('--set overrides, parsed as YAML scalars; set paths resolve from cwd', async (t) => {
  const r = validatePipelineText('source: { ndjson: a.ndjson }\nmodel: { prodlda: { hidden: [100, 100] } }\n', '/p/q.yaml', {
    env: {},
    cwd: '/work/here',
    set: ['train.epochs=5', 'model.prodlda.hidden[1]=50', 'batch.shuffle=0', 'output=out/x', 'name=my run', 'source.on_error=skip'],
  });
  t.ok(r.ok, r.errors.map((e) => e.message).join('\n'));
  if (!r.ok) return;
  const c = r.pipeline.config;
  t.equal(c.train?.epochs, 5);
  t.same(c.model?.prodlda?.hidden, [100, 50]);
  t.equal(c.batch?.shuffle, 0);
  t.equal(c.output, '/work/here/out/x');
  t.equal(c.name, 'my run');
  t.equal(c.source.ndjson, '/p/a.ndjson');
  t.equal(c.source.on_error, 'skip');
});

t.test('environment interpolation', async (t) => {
  const r = validatePipelineText('source:\n  ndjson: ${DATA}/a.ndjson\n  on_error: ${ON_ERROR:-skip}\noutput: "$${HOME}"\n', '/p/q.yaml', {
    env: { DATA: '/data' },
  });
  t.ok(r.ok, r.errors.map((e) => e.message).join('\n'));
  if (!r.ok) return;
  t.equal(r.pipeline.config.source.ndjson, '/data/a.ndjson');
  t.equal(r.pipeline.config.source.on_error, 'skip');
  t.equal(r.pipeline.config.output, '/p/${HOME}', '$$ is a literal $');
});

t.test('interpolateString', async (t) => {
  const cases: Array<[string, Record<string, string>, string, string[]]> = [
    ['plain', {}, 'plain', []],
    ['${A}', { A: 'x' }, 'x', []],
    ['${A}-${B}', { A: 'x', B: 'y' }, 'x-y', []],
    ['${A:-dflt}', {}, 'dflt', []],
    ['${A:-dflt}', { A: '' }, 'dflt', []],
    ['${A}', { A: '' }, '', []],
    ['${A}', {}, '${A}', ['A']],
    ['$$A and $${A}', { A: 'x' }, '$A and ${A}', []],
    ['$A', { A: 'x' }, '$A', []],
  ];
  for (const [input, env, out, missing] of cases) {
    const seen: string[] = [];
    t.equal(interpolateString(input, env, (n) => seen.push(n)), out, input);
    t.same(seen, missing, `${input} missing`);
  }
});

t.test('a missing pipeline file', async (t) => {
  await t.rejects(loadPipeline(path.join(fixtures, 'nope.yaml')), { code: 'FILE_NOT_FOUND' });
});
