/**
 * `kw credentials [PROFILE]`: the local keys of one of the running `kw up`'s profiles as shell
 * exports, the way `aws configure export-credentials --format env` prints an AWS profile's, so that
 * `curl --aws-sigv4` can sign a Function URL request exactly as it would on AWS. The keys come from
 * the run's own credentials file, found through the run file (run-file.ts).
 */
import { parseCommandArgs, reportUsage, usageError, UsageError } from './arguments';
import type { Command } from './command';
import { readRoleKeys, RoleConnectionError } from './role-connection';
import { readRunFile, runFilePath } from './run-file';

const HELP = `Usage: kw credentials [PROFILE] [--credentials FILE]

Prints export lines for PROFILE's local keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): the caller
profile by default, which may call the AWS_IAM Function URLs, or one of the app's roles. They come
from the credentials file the running 'kw up' writes under its output folder (found through
${'$'}KW_RUN_FILE, else .kw/run.json), never from ~/.aws, and are valid while that run lasts.

Options:
  --credentials FILE  another credentials file                 [default: the running kw up's]

Examples:
  eval "$(npx kw credentials)"
  curl --aws-sigv4 "aws:amz:us-east-1:lambda" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \\
    -H 'content-type: application/json' -d '{"customerId":"c-1","items":[...]}' http://127.0.0.1:3000/
  npx kw credentials ingest`;

/** Single-quoted for POSIX shells. */
const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export const credentialsCommand: Command = {
  help: HELP,
  async run(args, io) {
    const usage = usageError('credentials', io);
    const parsed = parseCommandArgs(
      { args, options: { credentials: { type: 'string' } }, allowPositionals: true, strict: true },
      usage,
    );
    if (parsed === 2) return 2;
    const [given, ...extra] = parsed.positionals;
    try {
      if (extra.length > 0) throw new UsageError(`one profile at most, got ${parsed.positionals.join(' ')}`);
    } catch (error) {
      return reportUsage(error, usage);
    }
    const run = readRunFile();
    const credentialsFile = parsed.values.credentials ?? run?.iam?.credentialsFile;
    if (!credentialsFile) {
      io.err(
        run
          ? 'kw credentials: the running kw up does not enforce IAM (started with --no-iam, or on an existing cluster): it has no credentials'
          : `kw credentials: no running kw up found at ${runFilePath()}: start 'npm start', or pass --credentials FILE`,
      );
      return 1;
    }
    const profile = given ?? run?.iam?.callerProfile ?? 'caller';
    try {
      const keys = readRoleKeys({ profile, credentialsFile });
      io.out(`export AWS_ACCESS_KEY_ID=${quote(keys.accessKeyId)}`);
      io.out(`export AWS_SECRET_ACCESS_KEY=${quote(keys.secretAccessKey)}`);
      if (keys.sessionToken) io.out(`export AWS_SESSION_TOKEN=${quote(keys.sessionToken)}`);
      return 0;
    } catch (error) {
      if (!(error instanceof RoleConnectionError)) throw error;
      io.err(`kw credentials: ${error.message}`);
      return 1;
    }
  },
};
