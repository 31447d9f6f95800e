/**
 * Runs the workshop chapters (docs/workshop/*.md) as tests, so the docs cannot rot.
 *
 * Fenced blocks by info string:
 * - `sh`: run with bash (`set -euo pipefail`) in a scratch folder; stdout and stderr are kept for an
 *   `output` block that follows. `npx kw` runs this checkout's CLI directly (same code, no npx start-up).
 * - `sh background ready=REGEX`: started in the background, waited for until its output matches, and
 *   stopped when the chapter ends (`npx kw broker`, `npm start`). When an `output` block follows,
 *   the wait also lasts until that block matches (at most 10 s more), so lines printed after the
 *   ready line are there.
 * - `output`: what the previous block printed. `<N>` stands for a number, `<TS>` for an ISO time,
 *   `<*>` for anything on that line, and a line `...` for any number of lines; two or more spaces
 *   stand for two or more (table columns are as wide as what is in them).
 * - `ts`: run with tsx from a file inside the checkout (so imports resolve).
 * - `python`: run with python3 and kafka-python when `runPython` is set (interop suite), otherwise
 *   compiled only.
 * - `sh aws`, `sh localstack`: need an AWS account or a LocalStack token; not run. Each `npm run X`
 *   must name a script and each `npx kw X` a command.
 * - `sh kafka`: Apache Kafka's own CLI (`kafka-topics.sh` and the others a Kafka 3.9 installation
 *   has in bin/), run only when `kafkaCli` is set (the interop suite, which has Java and Kafka's
 *   jars): each script name runs its class from the jars (KAFKA_TOOLS in apache-kafka.ts). Otherwise
 *   the block and its `output` are not run, but each script must be one of those tools and be
 *   pointed at the chapter's broker with `--bootstrap-server 127.0.0.1:9092`.
 * Anything else (`mermaid`, `json`, `text`) is prose.
 *
 * A block's stdout and stderr are read as one stream, in the order a terminal shows them.
 *
 * `npx kw broker` runs on a free port, `npm start` on free ports, the web console of each too.
 * Every chapter gets its own embedded broker; its address replaces `127.0.0.1:9092` in commands and
 * is in `KW_BOOTSTRAP`. When a background `npm start` prints its endpoints, they replace
 * `http://127.0.0.1:3000/` and `http://127.0.0.1:8000` likewise (`INGEST_URL`, `DYNAMODB_ENDPOINT`),
 * so the docs can show the defaults a reader sees while tests run on free ports. A background
 * `npx kw broker --brokers N` prints each broker's address: broker N's replaces `127.0.0.1:909(1+N)`,
 * the port a reader's broker N gets from `--port 9092`, and `KW_BOOTSTRAP` is broker 1's, the address
 * a reader's `kw` commands use by default. The console address either of them prints replaces
 * `http://127.0.0.1:8080/` (`CONSOLE_URL`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startBroker } from '../../local/broker/broker';
import { runFilePath } from '../../local/broker/control/run-file';
import { KAFKA_TOOLS, kafkaToolCommand, requireApacheKafka, type KafkaTool } from './apache-kafka';
import { KW, readyEndpoints } from './kw-process';

const REPO = path.join(__dirname, '..', '..');
export const CHAPTERS_DIR = path.join(REPO, 'docs', 'workshop');

export interface Block {
  readonly info: string;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

export function parseBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    blocks.push({ info: open[1].trim(), code: body.join('\n'), line: start + 1 });
  }
  return blocks;
}

/**
 * A regular expression for an `output` block. A run of two or more spaces matches any such run: table
 * columns are as wide as their widest cell, and an address on a free port is wider than the docs' 9092.
 */
export function outputPattern(expected: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ {2,}/g, ' {2,}');
  const lines = expected
    .trimEnd()
    .split('\n')
    .map((line) => {
      if (line.trim() === '...') return '(?:[^\\n]*\\n)*?';
      const parts = line
        .trimEnd()
        .split(/(<N>|<TS>|<\*>)/)
        .map((part) =>
          part === '<N>'
            ? '-?\\d+'
            : part === '<TS>'
              ? '\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z'
              : part === '<*>'
                ? '[^\\n]*'
                : escape(part),
        );
      return `${parts.join('').replace(/\s+$/, '')}[ \\t]*\\n`;
    });
  return new RegExp(`^${lines.join('')}$`);
}

interface ChapterState {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** A folder of Kafka's tools by their script names, put on PATH for `sh kafka` blocks. */
  readonly kafkaBin?: string;
  readonly replacements: [string, string][];
  /** Each background block's process and what it has printed so far. */
  readonly background: { readonly child: ChildProcess; readonly output: () => string }[];
  /** Broker addresses the background blocks printed: each has a run file while its process runs. */
  readonly runAddresses: string[];
}

// stderr joins stdout so that the two keep the order they were written in: read from two pipes, a
// line a tool wrote to stderr before exiting could arrive after what a later command in the block printed.
const PREAMBLE = `set -euo pipefail
exec 2>&1
npx() {
  if [ "$1" = kw ] && [ "\${2:-}" = broker ]; then shift 2; node "${REPO}/cli/kw.js" broker --port 0 --console-port 0 "$@";
  elif [ "$1" = kw ]; then shift; node "${REPO}/cli/kw.js" "$@";
  else command npx "$@"; fi
}
npm() { if [ "$1" = start ]; then shift; node "${REPO}/cli/kw.js" up --port 0 --broker-port 0 --dynamodb-port 0 --console-port 0 "$@"; else command npm "$@"; fi; }
`;

function substitute(state: ChapterState, code: string): string {
  let out = code;
  for (const [from, to] of state.replacements) out = out.split(from).join(to);
  return out;
}

/** How long one block may run. */
const BLOCK_TIMEOUT_MS = 60_000;

/**
 * Runs a command without blocking this process: the chapter's broker lives here, so a synchronous
 * spawn would stop it from answering the very commands it runs.
 */
function run(
  command: string,
  args: string[],
  state: ChapterState,
  env: NodeJS.ProcessEnv = state.env,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: state.dir, env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), BLOCK_TIMEOUT_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

function runShell(state: ChapterState, code: string, env?: NodeJS.ProcessEnv) {
  return run('bash', ['-c', `${PREAMBLE}${substitute(state, code)}\n`], state, env);
}

/** Quotes a word for sh. */
const shellWord = (word: string) => `'${word.split("'").join(`'\\''`)}'`;

/**
 * Writes one script per Kafka tool into `bin`, named as in a Kafka installation's bin/, that runs the
 * tool's class from the jars.
 */
function writeKafkaTools(bin: string): void {
  for (const tool of Object.keys(KAFKA_TOOLS) as KafkaTool[]) {
    const { java, args } = kafkaToolCommand(tool);
    const command = [java, ...args].map(shellWord).join(' ');
    writeFileSync(path.join(bin, tool), `#!/bin/sh\nexec ${command} "$@"\n`, { mode: 0o755 });
  }
}

/** Each command of a `sh kafka` block that runs a `kafka-*.sh` tool, continuation lines joined. */
function kafkaCommands(code: string): string[] {
  return code
    .replace(/\\\n/g, ' ')
    .split(/\n|;|&&|\|\|?/)
    .map((command) => command.trim().replace(/\s+/g, ' '))
    .filter((command) => /(^|\s)kafka-[\w-]+\.sh\b/.test(command));
}

/** What is wrong with a `sh kafka` block: a tool Kafka lacks, or a command not pointed at the broker. */
function checkKafkaBlock(code: string): string[] {
  const commands = kafkaCommands(code);
  if (commands.length === 0) return ['no kafka-*.sh command'];
  const problems: string[] = [];
  for (const command of commands) {
    for (const [tool] of command.matchAll(/kafka-[\w-]+\.sh/g))
      if (!(tool in KAFKA_TOOLS)) problems.push(`no Kafka tool '${tool}'`);
    if (!command.includes('--bootstrap-server 127.0.0.1:9092'))
      problems.push(`'${command}' does not name --bootstrap-server 127.0.0.1:9092`);
  }
  return problems;
}

/** A `sh kafka` block of a chapter: where it is and what it runs, for a test's name. */
export interface KafkaCliBlock {
  readonly line: number;
  /** Its commands, without the bootstrap flag every one of them has, each cut to a few flags. */
  readonly summary: string;
}

const isKafkaCli = (block: Block) => /^sh\s(.*\s)?kafka(\s|$)/.test(block.info);

/** Why `npm test` skips the `sh kafka` blocks, for the names of the skipped tests. */
export const KAFKA_CLI_SKIPPED = "Kafka's CLI needs Java and Kafka's jars: npm run test:interop runs it";

/** The `sh kafka` blocks of a chapter. */
export function kafkaCliBlocks(file: string): KafkaCliBlock[] {
  return parseBlocks(readFileSync(file, 'utf8'))
    .filter(isKafkaCli)
    .map((b) => ({
      line: b.line,
      summary: kafkaCommands(b.code)
        .map((c) => c.replace(' --bootstrap-server 127.0.0.1:9092', ''))
        .map((c) => (c.length > 60 ? `${c.slice(0, 59)}…` : c))
        .join('; '),
    }));
}

/**
 * Stops a background block: SIGTERM to its process group, then waits until every process in it has
 * ended (bash ends at once; the `kw` process under it still closes its brokers and removes its run
 * files), SIGKILL after 15 s.
 */
async function stopGroup(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 15_000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive()) signal('SIGKILL');
}

async function startBackground(
  state: ChapterState,
  code: string,
  ready: RegExp,
  shown: RegExp | undefined,
): Promise<string> {
  const child = spawn('bash', ['-c', `${PREAMBLE}${substitute(state, code).trim()}`], {
    cwd: state.dir,
    env: state.env,
    detached: true,
  });
  let output = '';
  state.background.push({ child, output: () => output });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 90_000;
  while (!ready.test(output)) {
    if (child.exitCode !== null) throw new Error(`background block exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`background block never printed ${ready}:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Lines printed after the ready line (a console address, a bootstrap line) may still be on their
  // way; a few seconds, then whatever is there is compared and a difference reported.
  const settle = Date.now() + 10_000;
  while (shown && !shown.test(withFinalNewline(output)) && child.exitCode === null && Date.now() < settle)
    await new Promise((r) => setTimeout(r, 50));
  // `npm start` prints its endpoints: point the docs' default addresses at them.
  const endpoints = readyEndpoints(output);
  const ingest = endpoints.ingestUrl;
  // `kw broker` prints a line per broker; broker 1 is what a reader's 127.0.0.1:9092 reaches.
  const brokers = [...output.matchAll(/^broker (\d+) listening on (\S+)$/gm)].map(([, id, address]) => ({
    docs: `127.0.0.1:${9091 + Number(id)}`,
    address,
  }));
  state.runAddresses.push(...brokers.map((b) => b.address), ...(endpoints.bootstrap?.split(',') ?? []));
  const first = brokers.find((b) => b.docs === '127.0.0.1:9092');
  const kafka = endpoints.bootstrap ?? first?.address ?? /bootstrap servers: (\S+)/.exec(output)?.[1];
  const dynamo = endpoints.dynamodb;
  // With or without the final slash, as `http://127.0.0.1:8080/` is written in the docs.
  const consoleMatch = /^\s*console:?\s+(http:\/\/[^\s/]+)\/?\s/m.exec(output)?.[1];
  const consoleUrl = consoleMatch && `${consoleMatch}/`;
  if (consoleUrl) state.replacements.unshift([`http://127.0.0.1:8080/`, consoleUrl]);
  if (ingest) state.replacements.unshift(['http://127.0.0.1:3000/', ingest]);
  if (kafka) state.replacements.unshift(['127.0.0.1:9092', kafka]);
  for (const b of brokers) if (b !== first) state.replacements.unshift([b.docs, b.address]);
  if (dynamo) state.replacements.unshift(['http://127.0.0.1:8000', dynamo]);
  Object.assign(state.env, {
    ...(ingest && { INGEST_URL: ingest }),
    ...(kafka && { KW_BOOTSTRAP: kafka }),
    ...(dynamo && { DYNAMODB_ENDPOINT: dynamo }),
    ...(consoleUrl && { CONSOLE_URL: consoleUrl }),
  });
  return output;
}

/** The npm scripts and the `kw --help` listing, read once per test file. */
let known: { scripts: Record<string, string>; help: string } | undefined;

function checkAwsBlock(code: string): string[] {
  const problems: string[] = [];
  known ??= {
    scripts: (
      JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts,
    help: spawnSync(process.execPath, [KW, '--help'], { encoding: 'utf8' }).stdout,
  };
  const { scripts, help } = known;
  for (const m of code.matchAll(/npm run ([\w:-]+)/g))
    if (!scripts[m[1]]) problems.push(`no npm script '${m[1]}'`);
  for (const m of code.matchAll(/npx kw ([\w-]+)/g))
    if (!new RegExp(`^  ${m[1]}\\s`, 'm').test(help)) problems.push(`no kw command '${m[1]}'`);
  return problems;
}

export interface ChapterOptions {
  /** Run `python` blocks with kafka-python instead of only compiling them. */
  readonly runPython?: boolean;
  /** Run `sh kafka` blocks with Kafka's own tools (needs Java and Kafka's jars) instead of skipping them. */
  readonly kafkaCli?: boolean;
}

/** A tool writes its last line without a line break (Kafka 3.9's consumer-groups tables do). */
const withFinalNewline = (output: string) =>
  output === '' || output.endsWith('\n') ? output : `${output}\n`;

/** Runs every block of one chapter in order; throws with the chapter, line and output on a mismatch. */
export async function runChapter(file: string, options: ChapterOptions = {}): Promise<number> {
  const markdown = readFileSync(file, 'utf8');
  const blocks = parseBlocks(markdown);
  // Without Java or the jars this throws, saying what to install, before anything is started.
  if (options.kafkaCli) requireApacheKafka();
  const broker = await startBroker({ port: 0, log: () => undefined });
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-docs-'));
  // Hidden in the scratch folder, so that it goes with it and a block's `ls` does not show it.
  const kafkaBin = options.kafkaCli ? path.join(dir, '.kafka-bin') : undefined;
  if (kafkaBin) {
    mkdirSync(kafkaBin);
    writeKafkaTools(kafkaBin);
  }
  const scratch = path.join(REPO, '.doc-tests', path.basename(file, '.md'));
  mkdirSync(scratch, { recursive: true });
  const state: ChapterState = {
    dir,
    env: {
      ...process.env,
      KW_BOOTSTRAP: broker.bootstrapServers,
      // The chapter's own run file: a background `npm start` writes it and the chapter's `kw load`
      // and `kw credentials` read it, whatever else runs at the same time.
      KW_RUN_FILE: path.join(dir, '.kw-run.json'),
      CI: 'true',
      FORCE_COLOR: '0',
      // The AWS SDK's notice that Node 20 support ends in 2027 would be in every expected output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    replacements: [['127.0.0.1:9092', broker.bootstrapServers]],
    background: [],
    runAddresses: [],
    kafkaBin,
  };
  const where = (b: Block) => `${path.relative(REPO, file)}:${b.line}`;
  let last = '';
  /** The previous block was only checked, not run: its output block cannot be compared. */
  let notRun = false;
  let executed = 0;
  try {
    for (const [index, block] of blocks.entries()) {
      const [kind, ...flags] = block.info.split(/\s+/);
      const kafkaBlock = isKafkaCli(block);
      if (kind !== 'output')
        notRun = (kind === 'python' && !options.runPython) || (kafkaBlock && !options.kafkaCli);
      const flag = (name: string) => flags.find((f) => f === name || f.startsWith(`${name}=`));
      if (kafkaBlock) {
        const problems = checkKafkaBlock(block.code);
        if (problems.length > 0) throw new Error(`${where(block)}: ${problems.join('; ')}`);
        if (!state.kafkaBin) continue;
      }
      if (kind === 'sh' && (flag('aws') || flag('localstack'))) {
        const problems = checkAwsBlock(block.code);
        if (problems.length > 0) throw new Error(`${where(block)}: ${problems.join('; ')}`);
      } else if (kind === 'sh' && flag('background')) {
        const ready = new RegExp(flag('ready')?.slice('ready='.length) ?? '.');
        // What the next output block shows, if any: the wait covers it too (and endpoints are read
        // from it), not only the first line that matches `ready`.
        const next = blocks[index + 1];
        const shown = next?.info.split(/\s+/)[0] === 'output' ? outputPattern(next.code) : undefined;
        last = await startBackground(state, block.code, ready, shown);
        executed++;
      } else if (kind === 'sh') {
        const env = kafkaBlock
          ? { ...state.env, PATH: `${state.kafkaBin}${path.delimiter}${state.env.PATH ?? ''}` }
          : state.env;
        const { status, output } = await runShell(state, block.code, env);
        if (status !== 0)
          throw new Error(`${where(block)}: exit ${status}\n${block.code}\n--- output ---\n${output}`);
        last = output;
        executed++;
      } else if (kind === 'output') {
        if (notRun) continue;
        if (!outputPattern(block.code).test(withFinalNewline(last))) {
          throw new Error(
            `${where(block)}: output differs\n--- expected ---\n${block.code}\n--- actual ---\n${last}`,
          );
        }
      } else if (kind === 'ts') {
        const source = path.join(scratch, `block-${index}.ts`);
        writeFileSync(source, block.code);
        const result = await run(process.execPath, ['--require', require.resolve('tsx/cjs'), source], state);
        last = result.output;
        if (result.status !== 0)
          throw new Error(`${where(block)}: exit ${result.status}\n--- output ---\n${last}`);
        executed++;
      } else if (kind === 'python') {
        const source = path.join(dir, `block-${index}.py`);
        writeFileSync(source, block.code);
        const args = options.runPython ? [source] : ['-m', 'py_compile', source];
        if (!options.runPython && !existsSync('/usr/bin/python3')) continue;
        const result = await run('/usr/bin/python3', args, state);
        last = result.output;
        if (result.status !== 0) throw new Error(`${where(block)}: python exit ${result.status}\n${last}`);
        executed++;
      }
    }
  } finally {
    for (const { child } of state.background) if (child.pid) await stopGroup(child.pid);
    // A `kw broker` or `kw up` that was stopped removes its run files (test/cli/cluster.test.ts
    // checks that); should one be left here, the log says so, with what the process printed last.
    const leftOver = state.runAddresses.map((a) => runFilePath(a)).filter((f) => existsSync(f));
    if (leftOver.length > 0)
      console.warn(
        `${path.relative(REPO, file)}: a stopped background block left run files ${leftOver.join(', ')}; ` +
          `its output ended:\n${state.background.map((b) => b.output().split('\n').slice(-6).join('\n')).join('\n')}`,
      );
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
  return executed;
}
