#!/usr/bin/env node
// The corpusflow CLI. The package is built with tsc into dist/ (npm install runs it via `prepare`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
