#!/usr/bin/env node
// Regenerates schema/pipeline.schema.json from the zod schema in src/config/schema.ts.
// Run after `npm run build`: node schema/generate.mjs   (test/config/schema.ts fails when the file is stale)
import { writeFileSync } from 'node:fs';
import { pipelineJsonSchema } from '../dist/config/schema.js';

const target = new URL('./pipeline.schema.json', import.meta.url);
writeFileSync(target, JSON.stringify(pipelineJsonSchema(), null, 2) + '\n');
console.log(`wrote ${target.pathname}`);
