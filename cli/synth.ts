/**
 * Synthesizes the CDK app for the local runtime, or reuses the last synthesis when nothing it depends
 * on changed: the same `-c` context, and no file under bin/, lib/, functions/ or cdk.json newer than it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const PROJECT_ROOT = path.join(__dirname, '..');
const SOURCES = ['bin', 'lib', 'functions', 'cdk.json', 'package-lock.json'];
const STAMP = 'kw-up.json';

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

/** Why `outdir` cannot be reused, or undefined when it is up to date for `context`. */
export function staleReason(outdir: string, context: Record<string, string>): string | undefined {
  const stampPath = path.join(outdir, STAMP);
  if (!existsSync(stampPath) || !existsSync(path.join(outdir, 'manifest.json')))
    return 'no earlier synthesis';
  const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as {
    context: Record<string, string>;
    at: number;
    manifestMtime?: number;
  };
  if (JSON.stringify(stamp.context) !== JSON.stringify(context)) return 'the -c context changed';
  // `cdk synth` or `cdk deploy` may have written another configuration into the same folder since.
  if (statSync(path.join(outdir, 'manifest.json')).mtimeMs !== stamp.manifestMtime) {
    return 'cdk.out was written by another synthesis';
  }
  const sources = Math.max(...SOURCES.map((s) => newestMtime(path.join(PROJECT_ROOT, s))));
  if (sources > stamp.at) return 'sources changed';
  return undefined;
}

/** Notes that `outdir` was synthesized with `context`, for {@link staleReason}. */
export function recordSynthesis(outdir: string, context: Record<string, string>, startedAt: number): void {
  const manifestMtime = statSync(path.join(outdir, 'manifest.json')).mtimeMs;
  writeFileSync(path.join(outdir, STAMP), JSON.stringify({ context, at: startedAt, manifestMtime }));
}

/**
 * Holds `<outdir>.lock` (a directory: creating one is atomic) while `work` runs, so two `kw up` at
 * once do not write the same cdk.out together; the second waits, then finds it up to date.
 */
export async function withSynthLock<T>(
  outdir: string,
  work: () => Promise<T>,
  timeoutMs = 180_000,
): Promise<T> {
  const lock = `${outdir}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a killed process is older than any synthesis takes.
      if (Date.now() - statSync(lock).mtimeMs > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`${lock} is held by another synthesis; remove it if none is running`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Synthesizes `outdir` with `context` unless it is up to date, holding the synth lock, so a caller
 * beside a running `kw up` (a bench, a test) waits for one synthesis rather than racing it; `onStale`
 * hears why just before a synthesis starts.
 */
export async function synthesizeIfStale(
  outdir: string,
  context: Record<string, string>,
  onStale: (reason: string) => void = () => undefined,
): Promise<void> {
  await withSynthLock(outdir, async () => {
    const stale = staleReason(outdir, context);
    if (!stale) return;
    onStale(stale);
    await synthesize(outdir, context, () => undefined);
  });
}

/** Runs the synthesis in a child process; `tick` is called every 250 ms with the seconds elapsed. */
export async function synthesize(
  outdir: string,
  context: Record<string, string>,
  tick: (seconds: number) => void,
): Promise<void> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('tsx/cjs'),
      path.join(__dirname, 'synth-worker.ts'),
      outdir,
      JSON.stringify(context),
    ],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setInterval(() => tick((Date.now() - started) / 1000), 250);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) {
    // esbuild's bundle listings are noise; keep the lines that explain the failure.
    const reason = output
      .split('\n')
      .filter((l) => l.trim() && !/^\s*(\.\.\.|⚡|Bundling asset)/.test(l))
      .join('\n');
    throw new Error(`synthesis failed:\n${reason}`);
  }
  recordSynthesis(outdir, context, started);
}
