/**
 * `kw config`: shows the configuration the CDK app would build from the given context values, or
 * every problem with them, without synthesizing anything.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONFIG_KEYS, ConfigError, readConfig } from '../lib/config';
import type { Command } from './command';

const HELP = `Usage: kw config [key=value ...]

Prints the validated configuration that 'cdk synth' / 'npm run deploy' would use, after applying
cdk.json and the given values (the same keys as '-c key=value' for cdk). Exits 2 with every problem
listed when a value is invalid.

Keys: ${CONFIG_KEYS.join(', ')}

Examples:
  kw config
  kw config cluster=provisioned esmMode=provisioned retryAttempts=3
  kw config cluster=self-managed bootstrapServers=127.0.0.1:9092`;

export const configCommand: Command = {
  help: HELP,
  async run(args, io) {
    const context: Record<string, unknown> = {};
    try {
      const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as {
        context?: Record<string, unknown>;
      };
      Object.assign(context, cdkJson.context);
    } catch {
      // no cdk.json beside the CLI: the built-in defaults apply
    }
    for (const arg of args) {
      const eq = arg.indexOf('=');
      const key = eq > 0 ? arg.slice(0, eq) : '';
      if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
        io.err(`kw config: expected key=value with a key among: ${CONFIG_KEYS.join(', ')}; got '${arg}'`);
        return 2;
      }
      context[key] = arg.slice(eq + 1);
    }
    try {
      io.out(
        JSON.stringify(
          readConfig((key) => context[key]),
          null,
          2,
        ),
      );
      return 0;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.err(error.message);
      return 2;
    }
  },
};
