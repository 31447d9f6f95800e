/**
 * moto's server (moto_server from the AWS tools venv) as an AWS control plane this project did not
 * write: CloudFormation, EC2, S3, SSM, IAM, Lambda, MSK... on one local HTTP endpoint, in account
 * 123456789012. Tests point SDK clients at it with `clientConfig`, or code that builds its own
 * clients with the SDK's default config at it with `env` (the SDK reads AWS_ENDPOINT_URL).
 *
 * The endpoint is http://localhost:PORT, not 127.0.0.1: moto reads a TemplateURL whose host is not
 * `localhost` or an amazonaws.com name as a virtual-hosted bucket URL ("127" would be the bucket),
 * and the CDK CLI builds its TemplateURL from the endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { awsTool } from './aws-tools';

export const MOTO_REGION = 'us-east-1';
/** The account moto answers as. */
export const MOTO_ACCOUNT = '123456789012';

export interface MotoServer {
  /** http://localhost:PORT */
  readonly endpoint: string;
  /** For SDK v3 clients: endpoint, region and dummy credentials (moto checks no signature). */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** Environment for a process (or for code) that builds clients with the SDK's default config. */
  readonly env: Readonly<Record<string, string>>;
  /** Everything moto wrote to its stdout and stderr so far (request lines, warnings, tracebacks). */
  output(): string;
  /**
   * Resolves with moto's output once it contains `text` (a traceback is written after the response
   * it explains has been sent); rejects after `timeoutMs` with what moto wrote.
   */
  outputContaining(text: string, timeoutMs?: number): Promise<string>;
  /** Forgets every resource of every service (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const READY = /Running on http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * Starts moto_server on a port the system picks (`-p 0`; moto prints the one it got) and resolves
 * once it answers. Throws PeerMissingError when the venv is not installed.
 */
export async function startMotoServer(timeoutMs = 30_000): Promise<MotoServer> {
  const bin = awsTool('moto_server');
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`moto_server did not start within ${timeoutMs} ms; it printed:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = READY.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`moto_server (${bin}) could not be started: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited (${signal ?? code}) before it listened; it printed:\n${output}`));
    });
  });
  const endpoint = `http://localhost:${port}`;
  await untilAnswers(endpoint, child, timeoutMs);
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  return {
    endpoint,
    clientConfig: { endpoint, region: MOTO_REGION, credentials },
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: MOTO_REGION,
      AWS_DEFAULT_REGION: MOTO_REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    output: () => output,
    async outputContaining(text, waitMs = 5000) {
      const deadline = Date.now() + waitMs;
      while (!output.includes(text)) {
        if (Date.now() > deadline) throw new Error(`moto did not write "${text}"; it wrote:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return output;
    },
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset answered ${res.status}: ${await res.text()}`);
    },
    stop: () => stopChild(child),
  };
}

/** Waits until moto's own API answers (the port may be bound a moment before Flask serves). */
async function untilAnswers(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) return;
    } catch {
      // not accepting connections yet
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`moto_server at ${endpoint} did not answer within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Sets `env` in process.env for the code under test that builds its clients itself (the SDK reads
 * AWS_ENDPOINT_URL and the keys when a client is created); returns the function that restores it.
 */
export function useMotoEnv(env: Readonly<Record<string, string>>): () => void {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
