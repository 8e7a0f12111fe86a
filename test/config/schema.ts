import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FILTERS } from '../../src/preprocess/filters.js';
import { pipelineJsonSchema, pipelineSchema, crossFieldIssues, FILTER_NAMES } from '../../src/config/schema.js';

const published = JSON.parse(readFileSync(fileURLToPath(new URL('../../schema/pipeline.schema.json', import.meta.url)), 'utf8'));

t.test('schema/pipeline.schema.json is up to date with the zod schema', async (t) => {
  t.same(published, pipelineJsonSchema(), 'regenerate with: npm run build && node schema/generate.mjs');
});

t.test('the JSON Schema is strict like zod: additionalProperties false on every object', async (t) => {
  const objects: string[] = [];
  const walk = (node: any, where: string) => {
    if (!node || typeof node !== 'object') return;
    if (node.type === 'object' && node.properties) {
      objects.push(where);
      t.equal(node.additionalProperties, false, where);
    }
    for (const [k, v] of Object.entries(node)) walk(v, `${where}/${k}`);
  };
  walk(published, '#');
  t.ok(objects.length >= 10, `found ${objects.length} objects`);
});

// A tiny evaluator for the keywords the "exactly one input kind" rule uses in the JSON Schema
// (required / not / anyOf / oneOf), so the two rule sets can be checked against the same examples.
function matches(schema: any, value: Record<string, unknown>): boolean {
  if (schema.required && !schema.required.every((k: string) => k in value)) return false;
  if (schema.not && matches(schema.not, value)) return false;
  if (schema.anyOf && !schema.anyOf.some((s: any) => matches(s, value))) return false;
  if (schema.oneOf && schema.oneOf.filter((s: any) => matches(s, value)).length !== 1) return false;
  return true;
}

const sources: Array<[Record<string, unknown>, boolean]> = [
  [{ ndjson: 'a' }, true],
  [{ csv: 'a' }, true],
  [{ files: 'd/' }, true],
  [{ text: 'a.txt' }, true],
  [{ ndjson: 'a', text: 'body' }, true],
  [{ csv: 'a', text: 'body', id: 'key' }, true],
  [{ ndjson: 'a', csv: 'b' }, false],
  [{ files: 'a', ndjson: 'b', text: 'x' }, false],
  [{ id: 'id' }, false],
  [{}, false],
];

for (const [source, ok] of sources) {
  t.test(`source ${JSON.stringify(source)} is ${ok ? 'accepted' : 'rejected'} by both`, async (t) => {
    t.equal(matches({ oneOf: published.properties.source.oneOf }, source), ok, 'JSON Schema');
    const parsed = pipelineSchema.safeParse({ source });
    const zodOk = parsed.success && crossFieldIssues(parsed.data).length === 0;
    t.equal(zodOk, ok, 'zod + cross-field rules');
  });
}

t.test('filter names are the ones the preprocess registry knows, each once', async (t) => {
  t.equal(new Set(FILTER_NAMES).size, FILTER_NAMES.length);
  t.same([...FILTER_NAMES].sort(), Object.keys(FILTERS).sort());
  t.same(published.properties.preprocess.anyOf[1].items.enum, [...FILTER_NAMES]);
});
