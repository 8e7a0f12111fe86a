#!/usr/bin/env node
// The corpusflow CLI. The package is built with tsc into dist/ (npm install runs it via `prepare`).
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/cli/main.js')) {
    console.error('corpusflow: the build is missing (dist/cli/main.js); run `npm run build` first');
    process.exit(1);
  }
  throw e;
}

process.exitCode = await main(process.argv.slice(2));
