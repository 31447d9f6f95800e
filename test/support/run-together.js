/**
 * Runs shell commands at the same time and exits non-zero if any of them failed: `npm test` runs its
 * checks (eslint, prettier, tsc: each on one core) this way, so that they take the time of the longest
 * one rather than the sum on a machine with two cores or more. Each command's output is printed in
 * one piece when it ends, so that the outputs do not interleave. Node rather than `a & b; wait` in the
 * npm script, so that it works in every shell npm may use.
 *
 *   node test/support/run-together.js "eslint ." "prettier --check ."
 */
const { Buffer } = require('node:buffer');
const { spawn } = require('node:child_process');

const commands = process.argv.slice(2);
if (commands.length === 0) {
  console.error('run-together: give the commands to run, each as one argument');
  process.exit(2);
}

/** Runs one command; resolves with its exit code (1 if a signal ended it) once it ends. */
function run(command) {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => {
      const status = code ?? 1;
      process.stdout.write(`\n> ${command}\n`);
      process.stdout.write(Buffer.concat(output));
      if (status !== 0) process.stdout.write(`${command}: failed (${signal ?? `exit ${status}`})\n`);
      resolve(status);
    });
  });
}

Promise.all(commands.map(run)).then((codes) => {
  process.exitCode = codes.some((code) => code !== 0) ? 1 : 0;
});
