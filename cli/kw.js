#!/usr/bin/env node
// Entry point of the `kw` command: runs the TypeScript CLI through tsx, so there is no build step.
require('tsx/cjs');
require('./main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
