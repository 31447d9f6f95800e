/**
 * The `kw` command. Each subcommand lives in its own module; this file only dispatches and prints help.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a command's module loads only when it runs */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command, CommandIO } from './command';

// Callers of main() (tests) take the types from here, beside it.
export type { Command, CommandIO };

/**
 * Every command with its one-line summary. A command's module is loaded only when it runs or its
 * help is asked for, so `kw load` or `kw --help` does not first load kafkajs, the AWS SDK and the
 * local runtime (about half a second).
 */
const COMMANDS: Record<string, { readonly summary: string; load(): Command }> = {
  up: {
    summary: 'run the synthesized pipeline on this machine (npm start)',
    load: () => (require('./up-command') as typeof import('./up-command')).upCommand,
  },
  load: {
    summary: 'send generated orders to the ingest URL and report latency',
    load: () => (require('./load-command') as typeof import('./load-command')).loadCommand,
  },
  credentials: {
    summary: "a profile's local keys of the running kw up, as shell exports (for curl --aws-sigv4)",
    load: () =>
      (require('./credentials-command') as typeof import('./credentials-command')).credentialsCommand,
  },
  broker: {
    summary: 'run the embedded Kafka-protocol broker',
    load: () => (require('./broker-command') as typeof import('./broker-command')).brokerCommand,
  },
  cluster: {
    summary: 'failure drills on the embedded brokers: status, stop, start, pause, resume a broker',
    load: () => (require('./cluster-command') as typeof import('./cluster-command')).clusterCommand,
  },
  topics: {
    summary: 'topics: create, list, describe, alter (add partitions), delete',
    load: () => (require('./topics-command') as typeof import('./topics-command')).topicsCommand,
  },
  produce: {
    summary: 'send lines from stdin or a file to a topic (keys, headers, partition, acks, compression)',
    load: () => (require('./produce-command') as typeof import('./produce-command')).produceCommand,
  },
  consume: {
    summary: 'print the records of a topic (from the start, an offset or a time; text or JSON)',
    load: () => (require('./consume-command') as typeof import('./consume-command')).consumeCommand,
  },
  groups: {
    summary: 'consumer groups: list, describe (lag per partition), reset-offsets, delete',
    load: () => (require('./groups-command') as typeof import('./groups-command')).groupsCommand,
  },
  config: {
    summary: 'show the validated deployment configuration (cluster, mappings, tags)',
    load: () => (require('./config-command') as typeof import('./config-command')).configCommand,
  },
  sweep: {
    summary: "delete this project's expired stacks (AWS; --dry-run to preview)",
    load: () => (require('./sweep-command') as typeof import('./sweep-command')).sweepCommand,
  },
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
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.err(`kw: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  return command.run(rest, io);
}
