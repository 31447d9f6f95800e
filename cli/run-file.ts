/**
 * The running pipeline's addresses for the other kw commands: `kw up` writes them to `.kw/run.json`
 * in the project (or `$KW_RUN_FILE`) once ready and removes the file when it stops, so `kw load`
 * finds the ingest URL and the credentials to sign with, and `--as-role` finds the IAM listener and
 * the role's keys, without the user copying paths out of the ready block. A file left by a run that
 * was killed names a process that no longer exists and is ignored.
 *
 * The file holds paths, never keys: the keys stay in the run's 0600 credentials file.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from './synth';

/** What `kw up` tells the other commands about the run. */
export interface RunInfo {
  /** The `kw up` process; the file is stale once it is gone. */
  readonly pid: number;
  /** Plain listeners, comma-separated host:port. */
  readonly bootstrapServers: string;
  /** Function URLs, in template order (the first is ingest's). */
  readonly urls: readonly {
    readonly functionName: string;
    readonly url: string;
    readonly authType: string;
  }[];
  /** Set when IAM is enforced. */
  readonly iam?: {
    /** IAM listeners, comma-separated host:port. */
    readonly bootstrapServers: string;
    /** The MSK cluster ARN the broker stands for: the ARN denials name. */
    readonly clusterArn: string;
    readonly credentialsFile: string;
    readonly configFile: string;
    /** The profile for Function URL requests. */
    readonly callerProfile: string;
    /** Every profile in the credentials file: the app's roles and the caller. */
    readonly profiles: readonly string[];
  };
  /** The web console's URL, when it runs. */
  readonly console?: string;
}

/** Where the run file is: `$KW_RUN_FILE`, else `.kw/run.json` in the project. */
export function runFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.KW_RUN_FILE || path.join(PROJECT_ROOT, '.kw', 'run.json');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes `info` to `file` atomically; the returned function removes it if it is still this run's. */
export function writeRunFile(info: RunInfo, file = runFilePath()): () => void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(temporary, file);
  return () => {
    if (readRunFile(file)?.pid === info.pid) rmSync(file, { force: true });
  };
}

/** The running pipeline's info, or undefined when no `kw up` runs (no file, or its process is gone). */
export function readRunFile(file = runFilePath()): RunInfo | undefined {
  let info: RunInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as RunInfo;
  } catch {
    return undefined;
  }
  if (typeof info?.pid !== 'number' || !alive(info.pid)) return undefined;
  return info;
}
