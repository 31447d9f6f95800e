/**
 * Keeps each function's last esbuild bundle, with a fingerprint of everything the build read, so a
 * later synthesis can copy it instead of bundling again when none of that has changed.
 *
 * What a bundle depends on, and so what the fingerprint covers:
 * - every file esbuild read (its metafile's inputs: the handler, what it imports from functions/, and
 *   each module it pulls from node_modules), by content;
 * - the files that steer how esbuild resolves and compiles them: package.json, tsconfig.json and
 *   jsconfig.json in each folder holding an input and in every folder above it (present or absent);
 * - the names in each project folder holding an input, so a new file that would win the resolution of
 *   an import (`x.tsx` beside `x.ts`, a `node_modules` folder under functions/) is noticed;
 * - package-lock.json and node_modules/.package-lock.json, which change with every npm install;
 * - the esbuild version and the build options, the output path included (source maps are relative to it).
 *
 * A bundle is not kept when its build read something other than a plain file, or when any of those
 * files or folders changed while (or just before) it ran: the bundle may hold the older content.
 */
import { createHash } from 'node:crypto';
import {
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  statSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';

/** Folders whose package.json, tsconfig.json or jsconfig.json esbuild may read for an input. */
const STEERING_FILES = ['package.json', 'tsconfig.json', 'jsconfig.json'];
const RECORD = 'bundle.json';
/** Modification times are kept to the second on some file systems: an input this recent may be newer than the build. */
const MTIME_SLACK_MS = 2000;

/** What esbuild reports it read and wrote, as in its metafile (paths relative to the working folder). */
export interface BuildReport {
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
}

interface Fingerprint {
  readonly esbuild: string;
  readonly options: unknown;
  /** Absolute path (or `names:` + folder) → sha256 of its content (or of its file names), or 'absent'. */
  readonly read: Record<string, string>;
}

interface StoredBundle extends Fingerprint {
  /** Output files, relative to the output folder. */
  readonly outputs: string[];
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function contentHash(file: string): string {
  return existsSync(file) ? sha256(readFileSync(file)) : 'absent';
}

function namesHash(folder: string): string {
  return existsSync(folder) ? sha256(readdirSync(folder).sort().join('\n')) : 'absent';
}

/** Recomputes one entry of {@link Fingerprint.read}. */
function currentValue(key: string): string {
  return key.startsWith('names:') ? namesHash(key.slice('names:'.length)) : contentHash(key);
}

function modifiedAt(key: string): number {
  const entry = key.startsWith('names:') ? key.slice('names:'.length) : key;
  return existsSync(entry) ? statSync(entry).mtimeMs : 0;
}

/**
 * The fingerprint of what a build that started at `startedAt` read, or undefined when it read
 * something other than files (esbuild names those `namespace:path`, e.g. `(disabled):fs`) or something
 * that changed since it started.
 */
function fingerprintOfBuild(
  projectRoot: string,
  report: BuildReport,
  startedAt: number,
): Record<string, string> | undefined {
  const read: Record<string, string> = {};
  const folders = new Set<string>();
  for (const input of Object.keys(report.inputs)) {
    const file = path.resolve(projectRoot, input);
    if (/^[^/\\]*:/.test(input) || !existsSync(file)) return undefined;
    read[file] = contentHash(file);
    folders.add(path.dirname(file));
  }
  const steering = new Set<string>();
  for (const folder of folders) {
    if (!folder.split(path.sep).includes('node_modules')) read[`names:${folder}`] = namesHash(folder);
    for (let dir = folder; !steering.has(dir); dir = path.dirname(dir)) {
      steering.add(dir);
      if (path.dirname(dir) === dir) break;
    }
  }
  for (const dir of steering) for (const name of STEERING_FILES) read[path.join(dir, name)] = '';
  for (const lock of ['package-lock.json', path.join('node_modules', '.package-lock.json')]) {
    read[path.join(projectRoot, lock)] = '';
  }
  for (const key of Object.keys(read)) {
    if (modifiedAt(key) > startedAt - MTIME_SLACK_MS) return undefined;
    if (read[key] === '') read[key] = contentHash(key);
  }
  return read;
}

/** Earlier bundles of one project's functions, one folder per entry point and build options. */
export class BundleReuse {
  /**
   * @param folder where bundles are kept (created when needed)
   * @param projectRoot esbuild's working folder: metafile paths are relative to it
   */
  constructor(
    private readonly folder: string,
    private readonly projectRoot: string,
  ) {}

  private slot(options: unknown): string {
    return path.join(this.folder, sha256(JSON.stringify(options)).slice(0, 24));
  }

  /**
   * Copies the bundle built with `options` into `outputDir` if nothing it was built from has changed
   * since; returns whether it did.
   */
  restore(esbuildVersion: string, options: unknown, outputDir: string): boolean {
    const slot = this.slot(options);
    let stored: StoredBundle;
    try {
      stored = JSON.parse(readFileSync(path.join(slot, RECORD), 'utf8')) as StoredBundle;
    } catch {
      return false;
    }
    if (stored.esbuild !== esbuildVersion) return false;
    if (JSON.stringify(stored.options) !== JSON.stringify(options)) return false;
    for (const [key, value] of Object.entries(stored.read)) if (currentValue(key) !== value) return false;
    for (const output of stored.outputs) {
      const target = path.join(outputDir, output);
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(path.join(slot, 'out', output), target, constants.COPYFILE_FICLONE);
    }
    return true;
  }

  /**
   * Keeps the bundle esbuild just wrote to `outputDir`, in a build that started at `startedAt` (ms since
   * the epoch), replacing the one built with the same options.
   */
  save(
    esbuildVersion: string,
    options: unknown,
    outputDir: string,
    report: BuildReport,
    startedAt: number,
  ): void {
    const read = fingerprintOfBuild(this.projectRoot, report, startedAt);
    const slot = this.slot(options);
    rmSync(slot, { recursive: true, force: true });
    if (!read) return;
    const outputs = Object.keys(report.outputs).map((o) =>
      path.relative(outputDir, path.resolve(this.projectRoot, o)),
    );
    // Written beside the slot and renamed into place, so a killed synthesis leaves no half-kept bundle.
    const partial = `${slot}.${process.pid}.partial`;
    rmSync(partial, { recursive: true, force: true });
    for (const output of outputs) {
      const target = path.join(partial, 'out', output);
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(path.join(outputDir, output), target, constants.COPYFILE_FICLONE);
    }
    const stored: StoredBundle = { esbuild: esbuildVersion, options, read, outputs };
    writeFileSync(path.join(partial, RECORD), JSON.stringify(stored));
    renameSync(partial, slot);
  }
}
