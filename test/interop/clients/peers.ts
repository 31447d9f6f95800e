/**
 * The peer clients the interop suite holds the embedded broker up against, each run as its own process
 * the way a user runs it: the Java probe (test/peers/java, compiled here against kafka-clients from the
 * Apache Kafka jars), the Python clients from PyPI (the venv in .test-deps/python) and the franz-go
 * probe (built by scripts/install-test-deps.sh). Each prints one JSON object per line, an `event` field
 * naming what it observed. A peer that is not installed throws PeerMissingError saying what to run.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  APACHE_KAFKA_LIBS,
  kafkaJavaCommand,
  PeerMissingError,
  requireApacheKafka,
  runJavaClass,
  TEST_DEPS,
} from '../../support/apache-kafka';

const PEERS = path.join(__dirname, '..', '..', 'peers');

/** One line a peer printed: what it observed, with the fields that event carries. */
export type PeerEvent = { readonly event: string } & Record<string, unknown>;

export interface PeerRun {
  readonly code: number | null;
  readonly events: PeerEvent[];
  /** stderr, for failure messages. */
  readonly err: string;
  /** Wall-clock time from start to exit, in ms. */
  readonly elapsedMs: number;
}

/** The JSON lines of `out` (other output, such as a client's log lines, is skipped). */
export function eventsOf(out: string): PeerEvent[] {
  return out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as PeerEvent);
}

/** The events named `name`, in the order they were printed. */
export function eventsNamed(run: PeerRun, name: string): PeerEvent[] {
  return run.events.filter((e) => e.event === name);
}

/** Throws with the peer's stderr unless it exited 0. */
export function succeeded(run: PeerRun, what: string): PeerRun {
  if (run.code !== 0) throw new Error(`${what} exited ${run.code}:\n${run.err.slice(-4000)}`);
  return run;
}

function runProgram(
  file: string,
  args: readonly string[],
  options: { readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<PeerRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(file, args, {
      timeout: options.timeoutMs ?? 90_000,
      maxBuffer: 64 * 1024 * 1024,
      env: options.env ?? process.env,
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.stdin!.end();
    child.on('close', (code) =>
      resolve({ code, events: eventsOf(out), err, elapsedMs: Date.now() - started }),
    );
  });
}

const JAVA_PROBE_SOURCE = path.join(PEERS, 'java', 'KafkaClientProbe.java');
let javaProbeClasses: string | undefined;

/**
 * Compiles the Java probe with javac against the Apache Kafka jars into a temporary folder, once per
 * test file; the folder is removed when the process exits.
 */
export function compileJavaProbe(): string {
  if (javaProbeClasses) return javaProbeClasses;
  const java = requireApacheKafka();
  // Beside the java requireApacheKafka found (JAVA_HOME's), or on PATH like it.
  const javac = java === 'java' ? 'javac' : path.join(path.dirname(java), 'javac');
  try {
    execFileSync(javac, ['-version'], { stdio: 'ignore' });
  } catch {
    throw new PeerMissingError(
      `javac is not installed beside ${java}: the Java client probe is compiled at test time and needs a JDK 17 ` +
        'or newer. Run scripts/install-test-deps.sh.',
    );
  }
  const out = mkdtempSync(path.join(tmpdir(), 'kw-java-probe-'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  execFileSync(javac, ['-d', out, '-cp', path.join(APACHE_KAFKA_LIBS, '*'), JAVA_PROBE_SOURCE], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  javaProbeClasses = out;
  return out;
}

/** Runs `KafkaClientProbe COMMAND BOOTSTRAP ARGS...` (see test/peers/java/KafkaClientProbe.java). */
export async function runJavaProbe(args: readonly string[], timeoutMs = 90_000): Promise<PeerRun> {
  const classpath = compileJavaProbe();
  const started = Date.now();
  const run = await runJavaClass('KafkaClientProbe', args, { classpath, timeoutMs });
  return { code: run.code, events: eventsOf(run.out), err: run.err, elapsedMs: Date.now() - started };
}

/** The venv scripts/install-test-deps.sh makes from test/peers/python/requirements.txt. */
const PYTHON = path.join(TEST_DEPS, 'python', 'bin', 'python');

/** The pinned versions, as `name==version` lines of requirements.txt. */
export const PYTHON_CLIENTS = readFileSync(path.join(PEERS, 'python', 'requirements.txt'), 'utf8')
  .split('\n')
  .filter((line) => /^[\w-]+==/.test(line));

/** Throws PeerMissingError unless the venv with the Python clients is installed. */
function requirePythonClients(): void {
  if (!existsSync(PYTHON)) {
    throw new PeerMissingError(
      `the Python clients (${PYTHON_CLIENTS.join(', ')}) are not installed in ` +
        `${path.relative(process.cwd(), path.dirname(path.dirname(PYTHON)))}: run scripts/install-test-deps.sh ` +
        '(it makes the venv and installs them from PyPI).',
    );
  }
}

/** Runs one of the Python probes in test/peers/python with the venv's interpreter. */
export function runPythonProbe(
  script: string,
  args: readonly string[],
  timeoutMs = 90_000,
): Promise<PeerRun> {
  requirePythonClients();
  // No __pycache__ beside the probes in the repository.
  return runProgram(PYTHON, [path.join(PEERS, 'python', script), ...args], {
    timeoutMs,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
}

/** A peer still running: its events as they arrive, and a line to its stdin when the test says so. */
export interface LivePeer {
  /** What it has printed so far, each event with the time (Date.now()) its line arrived. */
  readonly events: readonly (PeerEvent & { readonly at: number })[];
  /** Writes one line to its stdin. */
  tell(line: string): void;
  /** Resolves when it exits (a killed peer, after `timeoutMs`, with code null). */
  readonly exited: Promise<PeerRun>;
}

/** Starts `file ARGS` with its stdin open, collecting its JSON lines as they come. */
function startProgram(
  file: string,
  args: readonly string[],
  options: { readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv } = {},
): LivePeer {
  const started = Date.now();
  const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const events: (PeerEvent & { at: number })[] = [];
  let pending = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    const lines = (pending + d.toString()).split('\n');
    pending = lines.pop()!;
    for (const event of eventsOf(lines.join('\n'))) events.push({ ...event, at: Date.now() });
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise<PeerRun>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      process.off('exit', reap);
      for (const event of eventsOf(pending)) events.push({ ...event, at: Date.now() });
      resolve({ code, events, err, elapsedMs: Date.now() - started });
    }),
  );
  return {
    events,
    tell: (line) => void child.stdin.write(`${line}\n`),
    exited,
  };
}

/** Starts `KafkaClientProbe COMMAND BOOTSTRAP ARGS...` with its stdin open (see LivePeer). */
export function startJavaProbe(args: readonly string[], timeoutMs?: number): LivePeer {
  const { java, args: jvm } = kafkaJavaCommand('KafkaClientProbe', compileJavaProbe());
  return startProgram(java, [...jvm, ...args], { timeoutMs });
}

/** Starts one of the Python probes with its stdin open (see LivePeer). */
export function startPythonProbe(script: string, args: readonly string[], timeoutMs?: number): LivePeer {
  requirePythonClients();
  return startProgram(PYTHON, [path.join(PEERS, 'python', script), ...args], {
    timeoutMs,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
}

const FRANZ_SOURCE = path.join(PEERS, 'franz-go');
const FRANZ_PROBE = path.join(TEST_DEPS, 'go', 'franz-probe');

/** The digest scripts/install-test-deps.sh stamps a build with: go.mod, go.sum, then *.go in order. */
function franzSourceDigest(): string {
  const files = [
    'go.mod',
    'go.sum',
    ...readdirSync(FRANZ_SOURCE)
      .filter((f) => f.endsWith('.go'))
      .sort(),
  ];
  const hash = createHash('sha256');
  for (const f of files) hash.update(readFileSync(path.join(FRANZ_SOURCE, f)));
  return hash.digest('hex').slice(0, 16);
}

/** Runs `franz-probe COMMAND BOOTSTRAP ARGS...` (see test/peers/franz-go/main.go). */
export function runFranzProbe(args: readonly string[], timeoutMs = 90_000): Promise<PeerRun> {
  const stamp = `${FRANZ_PROBE}.installed`;
  if (!existsSync(FRANZ_PROBE) || !existsSync(stamp)) {
    throw new PeerMissingError(
      `the franz-go probe is not built (no ${path.relative(process.cwd(), FRANZ_PROBE)}): run ` +
        'scripts/install-test-deps.sh, which builds test/peers/franz-go with Go 1.26 or newer and ' +
        'modules from the Go module proxy.',
    );
  }
  if (readFileSync(stamp, 'utf8').trim() !== franzSourceDigest()) {
    throw new PeerMissingError(
      `${path.relative(process.cwd(), FRANZ_PROBE)} was built from an older test/peers/franz-go: ` +
        'run scripts/install-test-deps.sh to rebuild it.',
    );
  }
  return runProgram(FRANZ_PROBE, args, { timeoutMs });
}
