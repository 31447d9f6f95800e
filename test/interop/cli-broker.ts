/** Starts `kw broker` as a child process, as a user would, and waits for its "listening on" line. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface CliBroker {
  readonly bootstrap: string;
  readonly process: ChildProcess;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

const KW = path.join(__dirname, '..', '..', 'cli', 'kw.js');

export function startCliBroker(args: string[]): Promise<CliBroker> {
  const child = spawn(process.execPath, [KW, 'broker', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test that fails before stop() must not leave a broker running.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kw broker did not start: ${output}`)), 15_000);
    child.on('exit', (code) => reject(new Error(`kw broker exited ${code}: ${output}`)));
    child.stderr!.on('data', (d) => (output += d));
    child.stdout!.on('data', (d) => {
      output += d;
      const match = /listening on (\S+:\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        bootstrap: match[1],
        process: child,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.on('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
