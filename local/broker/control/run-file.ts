/**
 * How `kw cluster` finds the control channel of the process running the brokers: that process writes
 * a run file for each broker address, `<tmpdir>/kw-runs/<host>-<port>.json` (mode 0600, in a folder
 * only this user can enter), holding its pid, the channel's URL and the token changes need, and its
 * command line and start time, so that a stale file says what left it. It removes them when it
 * closes. A file whose process is gone (killed, crashed) is stale and ignored.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RunInfo {
  /** The process running the brokers. */
  readonly pid: number;
  /** Base URL of its control channel, e.g. http://127.0.0.1:41234 */
  readonly controlUrl: string;
  /** What POST requests carry as `Authorization: Bearer <token>`. */
  readonly token: string;
  readonly bootstrapServers: string;
  /** The process's command line and when it wrote the file: a stale file says what left it. */
  readonly command?: string;
  readonly startedAt?: string;
}

/** A run file that cannot be written safely; the message says why. */
export class RunFileError extends Error {
  public override readonly name = 'RunFileError';
}

/** Where run files live. */
export function runDirectory(): string {
  return path.join(os.tmpdir(), 'kw-runs');
}

/** `host:port` or `[v6]:port` as its two parts; undefined when it is not one. */
function splitAddress(address: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address.trim());
  if (!match) return undefined;
  return { host: (match[1] ?? match[2]).toLowerCase(), port: Number(match[3]) };
}

/** The run file for a broker address (`host:port`). */
export function runFilePath(address: string, dir = runDirectory()): string {
  const parts = splitAddress(address);
  if (!parts) throw new RunFileError(`'${address}' is not a host:port address`);
  return path.join(dir, `${parts.host.replace(/[^a-z0-9.-]/g, '_')}-${parts.port}.json`);
}

/**
 * Creates the run folder, or checks the one there is ours and closed to others: in a shared /tmp,
 * another user could otherwise have made it and replace the files in it.
 */
function privateDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    throw new RunFileError(
      `${dir} must be a folder of this user that others cannot enter (mode 700): remove it and start again`,
    );
  }
}

/** Writes `info` as the run file of each address; returns the files written. */
export function writeRunFiles(addresses: readonly string[], info: RunInfo, dir = runDirectory()): string[] {
  privateDirectory(dir);
  const text = `${JSON.stringify(info, null, 2)}\n`;
  return addresses.map((address) => {
    const file = runFilePath(address, dir);
    // A fresh name (O_EXCL) then a rename: the token never lands in a file someone else prepared.
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    fs.writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
    return file;
  });
}

function readRunFile(file: string): RunInfo | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const info = JSON.parse(text) as Partial<RunInfo>;
    if (typeof info.pid !== 'number' || typeof info.controlUrl !== 'string' || typeof info.token !== 'string')
      return undefined;
    return info as RunInfo;
  } catch {
    return undefined;
  }
}

/** Removes the run files that `pid` (this process by default) wrote; others' are left alone. */
export function removeRunFiles(files: readonly string[], pid = process.pid): void {
  for (const file of files) {
    if (readRunFile(file)?.pid !== pid) continue;
    fs.rmSync(file, { force: true });
  }
}

/** Whether process `pid` still runs (a process of another user counts: it exists). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type ControlLookup =
  | { readonly found: true; readonly file: string; readonly info: RunInfo }
  /** `stale`: the file of a process that is gone. */
  | {
      readonly found: false;
      readonly file: string;
      readonly stale?: Pick<RunInfo, 'pid' | 'command' | 'startedAt'>;
    };

/**
 * The control channel serving a bootstrap list (`host:port[,host:port...]`): the first address with a
 * live run file. A broker listening on every address (0.0.0.0) is found through any address of this
 * machine, and `localhost` and 127.0.0.1 stand for each other.
 */
export function findControl(bootstrap: string | readonly string[], dir = runDirectory()): ControlLookup {
  const addresses = (typeof bootstrap === 'string' ? bootstrap.split(',') : bootstrap)
    .map((a) => splitAddress(a))
    .filter((a) => a !== undefined);
  let stale: ControlLookup | undefined;
  for (const { host, port } of addresses) {
    const aliases = host === 'localhost' ? ['127.0.0.1'] : host === '127.0.0.1' ? ['localhost'] : [];
    for (const candidate of [host, ...aliases, '0.0.0.0', '::']) {
      const file = runFilePath(`[${candidate}]:${port}`, dir);
      const info = readRunFile(file);
      if (!info) continue;
      if (processAlive(info.pid)) return { found: true, file, info };
      stale ??= {
        found: false,
        file,
        stale: { pid: info.pid, command: info.command, startedAt: info.startedAt },
      };
    }
  }
  const first = addresses[0];
  return stale ?? { found: false, file: first ? runFilePath(`[${first.host}]:${first.port}`, dir) : dir };
}
