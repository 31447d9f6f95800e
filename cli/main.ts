/**
 * The `kw` command. Each subcommand lives in its own module; this file only dispatches and prints help.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { brokerCommand } from './broker-command';
import { configCommand } from './config-command';
import { consumeCommand } from './consume-command';
import { groupsCommand } from './groups-command';
import { loadCommand } from './load-command';
import { produceCommand } from './produce-command';
import { sweepCommand } from './sweep-command';
import { topicsCommand } from './topics-command';
import { upCommand } from './up-command';

export interface Command {
  /** One line for the command list. */
  readonly summary: string;
  /** Full help, with examples. */
  readonly help: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[], io: CommandIO): Promise<number>;
}

/** Where commands write, so tests can capture it. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  /** Where `kw produce` reads records from when no --file is given. */
  readonly stdin?: NodeJS.ReadableStream;
  /** True when output goes to a terminal: colour, tables and in-place status lines are allowed. */
  readonly tty?: boolean;
  /** Replaces the current status line (terminals only); an empty text clears it. */
  status?(text: string): void;
}

const COMMANDS: Record<string, Command> = {
  up: upCommand,
  load: loadCommand,
  broker: brokerCommand,
  topics: topicsCommand,
  produce: produceCommand,
  consume: consumeCommand,
  groups: groupsCommand,
  config: configCommand,
  sweep: sweepCommand,
};

let statusShown = false;
const processIO: CommandIO = {
  out: (text) => {
    if (statusShown) process.stdout.write('\r\x1b[K');
    statusShown = false;
    process.stdout.write(`${text}\n`);
  },
  err: (text) => process.stderr.write(`${text}\n`),
  tty: process.stdout.isTTY === true,
  stdin: process.stdin,
  status: (text) => {
    const width = process.stdout.columns || 120;
    process.stdout.write(`\r\x1b[K${text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text}`);
    statusShown = text.length > 0;
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const list = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n');
  return `Usage: kw <command> [options]\n\nCommands:\n${list}\n\nRun 'kw <command> --help' for a command's options and examples.`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Runs `kw` with the given arguments; resolves to the exit code. */
export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(version());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`kw: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  return command.run(rest, io);
}
