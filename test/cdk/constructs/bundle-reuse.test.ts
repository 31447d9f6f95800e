/**
 * Reusing a kept bundle: real esbuild builds of a small project laid out as this one (functions/, a
 * shared functions/commons, package-lock.json), with the options and code path BundledFunction uses.
 */
import { FileSystem } from 'aws-cdk-lib';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundleHandler, type HandlerBundling } from '../../../lib/lambda/local-esbuild';

/** Sets every file and folder under `root` one minute back, as files edited before a synthesis are. */
function age(root: string): void {
  const past = new Date(Date.now() - 60_000);
  for (const entry of readdirSync(root, { recursive: true }) as string[]) {
    utimesSync(path.join(root, entry), past, past);
  }
  utimesSync(root, past, past);
}

function write(root: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

/** A project with handlers `a` (imports functions/commons/greeting.ts) and `b` (imports nothing). */
function project(): { root: string; bundling: (handler: string) => HandlerBundling } {
  const root = mkdtempSync(path.join(tmpdir(), 'kw-bundle-reuse-'));
  write(root, 'package.json', '{ "name": "project", "private": true }');
  write(root, 'package-lock.json', '{ "lockfileVersion": 3 }');
  write(root, 'functions/commons/greeting.ts', "export const greeting = 'hello';\n");
  write(
    root,
    'functions/a/index.ts',
    "import { greeting } from '../commons/greeting';\nexport const handler = async () => greeting;\n",
  );
  write(root, 'functions/b/index.ts', "export const handler = async () => 'b';\n");
  age(root);
  const reuseDir = path.join(root, 'cdk.out', '.kw-bundles');
  return {
    root,
    bundling: (handler) => ({
      projectRoot: root,
      entry: path.join(root, 'functions', handler, 'index.ts'),
      reuseDir,
    }),
  };
}

/**
 * Bundles into the same output folder each time (as CDK does for one function), moving each result
 * aside: returns how it was made and the folder it now lies in.
 */
function bundleAside(bundling: HandlerBundling, root: string): { how: string; dir: string } {
  const outputDir = path.join(
    root,
    'cdk.out',
    `bundling-temp-${path.basename(path.dirname(bundling.entry))}`,
  );
  const how = bundleHandler(bundling, outputDir);
  const dir = `${outputDir}-${Date.now()}-${Math.random()}`;
  renameSync(outputDir, dir);
  return { how, dir };
}

const files = (dir: string) => readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]);

describe('bundle reuse', () => {
  test('GIVEN a kept bundle and nothing it was built from changed THEN it is reused, byte for byte', () => {
    const { root, bundling } = project();
    const first = bundleAside(bundling('a'), root);
    const second = bundleAside(bundling('a'), root);

    expect([first.how, second.how]).toEqual(['bundled', 'reused']);
    expect(files(second.dir)).toEqual(files(first.dir));
    expect(files(first.dir).map(([f]) => f)).toEqual(['index.js', 'index.js.map']);
  });

  test('GIVEN an edit to a shared file under functions/commons THEN the handlers importing it are bundled again and their asset hash changes; the others are reused', () => {
    const { root, bundling } = project();
    const before = bundleAside(bundling('a'), root);
    bundleAside(bundling('b'), root);
    write(root, 'functions/commons/greeting.ts', "export const greeting = 'good morning';\n");
    age(root);

    const after = bundleAside(bundling('a'), root);
    expect(after.how).toBe('bundled');
    expect(readFileSync(path.join(after.dir, 'index.js'), 'utf8')).toContain('good morning');
    expect(FileSystem.fingerprint(after.dir)).not.toBe(FileSystem.fingerprint(before.dir));
    expect(bundleAside(bundling('b'), root).how).toBe('reused');
  });

  test('GIVEN a new file that wins the resolution of an import (greeting.tsx beside greeting.ts) THEN the bundle is made again with it', () => {
    const { root, bundling } = project();
    bundleAside(bundling('a'), root);
    write(root, 'functions/commons/greeting.tsx', "export const greeting = 'from tsx';\n");
    age(root);

    const after = bundleAside(bundling('a'), root);
    expect(after.how).toBe('bundled');
    expect(readFileSync(path.join(after.dir, 'index.js'), 'utf8')).toContain('from tsx');
  });

  test('GIVEN package-lock.json or a tsconfig.json that applies changes THEN the bundle is made again', () => {
    const { root, bundling } = project();
    bundleAside(bundling('b'), root);
    write(root, 'package-lock.json', '{ "lockfileVersion": 3, "packages": {} }');
    age(root);
    expect(bundleAside(bundling('b'), root).how).toBe('bundled');
    expect(bundleAside(bundling('b'), root).how).toBe('reused');

    write(root, 'functions/tsconfig.json', '{ "compilerOptions": { "useDefineForClassFields": false } }');
    age(root);
    expect(bundleAside(bundling('b'), root).how).toBe('bundled');
  });

  test('GIVEN inputs modified while or just before bundling THEN that bundle is not kept, as it may hold older content', () => {
    const { root, bundling } = project();
    write(root, 'functions/b/index.ts', "export const handler = async () => 'just saved';\n");
    expect(statSync(path.join(root, 'functions/b/index.ts')).mtimeMs).toBeGreaterThan(Date.now() - 2000);

    expect(bundleAside(bundling('b'), root).how).toBe('bundled');
    expect(bundleAside(bundling('b'), root).how).toBe('bundled');
    age(root);
    expect(bundleAside(bundling('b'), root).how).toBe('bundled');
    expect(bundleAside(bundling('b'), root).how).toBe('reused');
  });

  test('GIVEN no folder of kept bundles THEN every bundling runs esbuild', () => {
    const { root, bundling } = project();
    const withoutReuse = { ...bundling('b'), reuseDir: undefined };
    expect(bundleAside(withoutReuse, root).how).toBe('bundled');
    expect(bundleAside(withoutReuse, root).how).toBe('bundled');
  });
});
