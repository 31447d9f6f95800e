/**
 * Runs after `npm ci` / `npm install` (postinstall). The Node.js binaries the local runtime runs
 * functions on (optionalDependencies `node-runtime-<major>-<platform>-<arch>`) each declare a bin
 * named `node`, so npm links node_modules/.bin/node to one of them; npm puts node_modules/.bin first
 * on PATH for every script, so `npm test`, `npx jest` and the rest would silently run on that Node
 * instead of the one the user installed. Removing the link keeps the project's tools on the user's
 * Node; the runtime finds the binaries by package path, not through .bin
 * (local/runtime/lambda/node-binaries.ts). `npm install --ignore-scripts` skips this: rerun it by hand.
 */
const fs = require('node:fs');
const path = require('node:path');

const binDir = path.join(__dirname, '..', 'node_modules', '.bin');
const runtimePackage = /[\\/]node-runtime-\d+-[^\\/]+[\\/]/;

for (const name of ['node', 'node.cmd', 'node.ps1']) {
  const link = path.join(binDir, name);
  let target;
  try {
    target = fs.realpathSync(link);
  } catch {
    continue;
  }
  if (runtimePackage.test(target)) fs.rmSync(link, { force: true });
}
