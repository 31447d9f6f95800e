/**
 * Runs the workshop chapters (docs/workshop/*.md) as tests, so the docs cannot rot.
 *
 * Fenced blocks by info string:
 * - `sh`: run with bash (`set -euo pipefail`) in a scratch folder; stdout and stderr are kept for an
 *   `output` block that follows. `npx kw` runs this checkout's CLI directly (same code, no npx start-up).
 * - `sh background ready=REGEX`: started in the background, waited for until its output matches, and
 *   stopped when the chapter ends (`npx kw broker`, `npm start`).
 * - `output`: what the previous block printed. `<N>` stands for a number, `<TS>` for an ISO time,
 *   `<*>` for anything on that line, and a line `...` for any number of lines.
 * - `ts`: run with tsx from a file inside the checkout (so imports resolve).
 * - `python`: run with python3 and kafka-python when `runPython` is set (interop suite), otherwise
 *   compiled only.
 * - `sh aws`, `sh localstack`: need an AWS account or a LocalStack token; not run. Each `npm run X`
 *   must name a script and each `npx kw X` a command.
 * Anything else (`mermaid`, `json`, `text`) is prose.
 *
 * `npx kw broker` runs on a free port, `npm start` on free ports.
 * Every chapter gets its own embedded broker; its address replaces `127.0.0.1:9092` in commands and
 * is in `KW_BOOTSTRAP`. When a background `npm start` prints its endpoints, they replace
 * `http://127.0.0.1:3000/` and `http://127.0.0.1:8000` likewise (`INGEST_URL`, `DYNAMODB_ENDPOINT`),
 * so the docs can show the defaults a reader sees while tests run on free ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startBroker } from '../../local/broker/broker';
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

/** A regular expression for an `output` block. */
export function outputPattern(expected: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const lines = expected
    .trimEnd()
    .split('\n')
    .map((line) => {
      if (line.trim() === '...') return '(?:[^\\n]*\\n)*?';
      const parts = line
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
  readonly replacements: [string, string][];
  readonly background: ChildProcess[];
}

const PREAMBLE = `set -euo pipefail
npx() {
  if [ "$1" = kw ] && [ "\${2:-}" = broker ]; then shift 2; node "${REPO}/cli/kw.js" broker --port 0 "$@";
  elif [ "$1" = kw ]; then shift; node "${REPO}/cli/kw.js" "$@";
  else command npx "$@"; fi
}
npm() { if [ "$1" = start ]; then shift; node "${REPO}/cli/kw.js" up --port 0 --broker-port 0 --dynamodb-port 0 "$@"; else command npm "$@"; fi; }
`;

function substitute(state: ChapterState, code: string): string {
  let out = code;
  for (const [from, to] of state.replacements) out = out.split(from).join(to);
  return out;
}

/**
 * Runs a command without blocking this process: the chapter's broker lives here, so a synchronous
 * spawn would stop it from answering the very commands it runs.
 */
function run(
  command: string,
  args: string[],
  state: ChapterState,
  timeoutMs = 60_000,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: state.dir, env: state.env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

function runShell(state: ChapterState, code: string) {
  return run('bash', ['-c', `${PREAMBLE}${substitute(state, code)}\n`], state);
}

async function startBackground(state: ChapterState, code: string, ready: RegExp): Promise<string> {
  const child = spawn('bash', ['-c', `${PREAMBLE}${substitute(state, code).trim()}`], {
    cwd: state.dir,
    env: state.env,
    detached: true,
  });
  state.background.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 90_000;
  while (!ready.test(output)) {
    if (child.exitCode !== null) throw new Error(`background block exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`background block never printed ${ready}:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // `npm start` prints its endpoints: point the docs' default addresses at them.
  const endpoints = readyEndpoints(output);
  const ingest = endpoints.ingestUrl;
  const kafka = endpoints.bootstrap ?? /bootstrap servers: (\S+)/.exec(output)?.[1];
  const dynamo = endpoints.dynamodb;
  if (ingest) state.replacements.unshift(['http://127.0.0.1:3000/', ingest]);
  if (kafka) state.replacements.unshift(['127.0.0.1:9092', kafka]);
  if (dynamo) state.replacements.unshift(['http://127.0.0.1:8000', dynamo]);
  Object.assign(state.env, {
    ...(ingest && { INGEST_URL: ingest }),
    ...(kafka && { KW_BOOTSTRAP: kafka }),
    ...(dynamo && { DYNAMODB_ENDPOINT: dynamo }),
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

/** Runs every block of one chapter in order; throws with the chapter, line and output on a mismatch. */
export async function runChapter(file: string, options: { runPython?: boolean } = {}): Promise<number> {
  const markdown = readFileSync(file, 'utf8');
  const blocks = parseBlocks(markdown);
  const broker = await startBroker({ port: 0, log: () => undefined });
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-docs-'));
  const scratch = path.join(REPO, '.doc-tests', path.basename(file, '.md'));
  mkdirSync(scratch, { recursive: true });
  const state: ChapterState = {
    dir,
    env: {
      ...process.env,
      KW_BOOTSTRAP: broker.bootstrapServers,
      CI: 'true',
      FORCE_COLOR: '0',
      // The AWS SDK's notice that Node 20 support ends in 2027 would be in every expected output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    replacements: [['127.0.0.1:9092', broker.bootstrapServers]],
    background: [],
  };
  const where = (b: Block) => `${path.relative(REPO, file)}:${b.line}`;
  let last = '';
  /** The previous block was only checked, not run: its output block cannot be compared. */
  let notRun = false;
  let executed = 0;
  try {
    for (const [index, block] of blocks.entries()) {
      const [kind, ...flags] = block.info.split(/\s+/);
      if (kind !== 'output') notRun = kind === 'python' && !options.runPython;
      const flag = (name: string) => flags.find((f) => f === name || f.startsWith(`${name}=`));
      if (kind === 'sh' && (flag('aws') || flag('localstack'))) {
        const problems = checkAwsBlock(block.code);
        if (problems.length > 0) throw new Error(`${where(block)}: ${problems.join('; ')}`);
      } else if (kind === 'sh' && flag('background')) {
        const ready = new RegExp(flag('ready')?.slice('ready='.length) ?? '.');
        last = await startBackground(state, block.code, ready);
        executed++;
      } else if (kind === 'sh') {
        const { status, output } = await runShell(state, block.code);
        if (status !== 0)
          throw new Error(`${where(block)}: exit ${status}\n${block.code}\n--- output ---\n${output}`);
        last = output;
        executed++;
      } else if (kind === 'output') {
        if (notRun) continue;
        if (!outputPattern(block.code).test(last)) {
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
    for (const child of state.background) {
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              // already gone
            }
            resolve();
          }, 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
  return executed;
}
