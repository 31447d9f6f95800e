/**
 * Jest's transform for TypeScript: esbuild strips the types, file by file, as ts-jest does with
 * isolatedModules (neither checks types: `tsc --noEmit` does, once, in `npm test`). esbuild is already
 * the project's bundler; it turns a file in about a millisecond where ts-jest's TypeScript takes tens,
 * which on a fresh clone (no transform cache) cost each `npm test` run seconds of the two cores.
 * The project's tests do not use jest.mock, which only ts-jest and babel-jest hoist above imports.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const tsconfigPath = path.join(__dirname, '..', '..', 'tsconfig.json');
const tsconfigText = readFileSync(tsconfigPath, 'utf8');
/** What of tsconfig.json changes emitted code; the rest is for type-checking. */
const { target, useDefineForClassFields, experimentalDecorators } = JSON.parse(tsconfigText).compilerOptions;
const compilerOptions = { target, useDefineForClassFields, experimentalDecorators };

module.exports = {
  process(sourceText, sourcePath) {
    const { code, map } = esbuild.transformSync(sourceText, {
      loader: sourcePath.endsWith('.tsx') ? 'tsx' : 'ts',
      format: 'cjs',
      target: (target ?? 'es2022').toLowerCase(),
      platform: 'node',
      sourcemap: 'external',
      sourcefile: sourcePath,
      tsconfigRaw: { compilerOptions },
    });
    return { code, map };
  },
  getCacheKey(sourceText, sourcePath, options) {
    return createHash('sha256')
      .update(esbuild.version)
      .update('\0')
      .update(tsconfigText)
      .update('\0')
      .update(options.configString)
      .update('\0')
      .update(sourcePath)
      .update('\0')
      .update(sourceText)
      .digest('hex');
  },
};
