/** A `CommandIO` that keeps what a `kw` command writes, for tests that run commands in process. */
import { Readable } from 'node:stream';
import type { CommandIO } from '../../cli/main';

export interface CapturedIO extends CommandIO {
  /** Each `out` line, as written. */
  readonly outLines: string[];
  /** Each `err` line, as written. */
  readonly errLines: string[];
  /** Everything written to out, one line each (newline-terminated). */
  readonly stdout: string;
  /** Everything written to err, one line each (newline-terminated). */
  readonly stderr: string;
}

/** @param stdin what the command reads as standard input, when given */
export function capture(stdin?: string): CapturedIO {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return {
    out: (text) => void outLines.push(text),
    err: (text) => void errLines.push(text),
    stdin: stdin === undefined ? undefined : Readable.from([stdin]),
    outLines,
    errLines,
    get stdout() {
      return outLines.map((line) => `${line}\n`).join('');
    },
    get stderr() {
      return errLines.map((line) => `${line}\n`).join('');
    },
  };
}
