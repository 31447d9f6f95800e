#!/usr/bin/env node
// Entry point of the `kw` command: runs the TypeScript CLI through tsx, so there is no build step.
require('tsx/cjs');
// `kw ... | head` closes the pipe early: stop quietly, as command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}
require('./main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
