/**
 * `kw sweep`: deletes this project's stacks whose `expires-at` tag has passed (see sweep/sweeper.ts).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { parseCommandArgs, reportUsage, timeFlag, usageError } from './arguments';
import type { Command } from './command';
import { sweep } from './sweep/sweeper';

const HELP = `Usage: kw sweep [--dry-run] [--stage S] [--region R] [--now ISO]

Deletes the CloudFormation stacks tagged project=serverless-kafka-workshop whose expires-at tag has
passed, in dependency order (pipeline, kafka, network), waiting for each. A deletion blocked by
Lambda's network interfaces (DependencyViolation) waits for them and is retried with backoff.
Stacks without the project tag are never touched; stacks without a readable expires-at are listed
and left alone. Uses your AWS credentials (the SDK's usual chain).

Options:
  --dry-run     print the plan, delete nothing
  --stage S     only stacks of stage S
  --region R    the region to sweep  [default: AWS_REGION]
  --now ISO     pretend it is this time (to preview what a later sweep would delete)

Examples:
  npx kw sweep --dry-run
  npx kw sweep --stage ci-1234
  npx kw sweep --dry-run --now 2026-12-01T00:00:00Z`;

export const sweepCommand: Command = {
  help: HELP,
  async run(args, io) {
    const usage = usageError('sweep', io);
    const parsed = parseCommandArgs(
      {
        args,
        options: {
          'dry-run': { type: 'boolean', default: false },
          stage: { type: 'string' },
          region: { type: 'string' },
          now: { type: 'string' },
        },
        strict: true,
      },
      usage,
    );
    if (parsed === 2) return 2;
    const values = parsed.values;
    let now: Date;
    try {
      now = values.now ? new Date(timeFlag('--now', values.now)) : new Date();
    } catch (error) {
      return reportUsage(error, usageError('sweep', io, false));
    }
    const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) {
      io.err('kw sweep: no region: pass --region or set AWS_REGION');
      return 2;
    }
    const cfn = new CloudFormationClient({ region });
    const ec2 = new EC2Client({ region });
    try {
      const result = await sweep(cfn, ec2, {
        now,
        dryRun: values['dry-run'],
        stage: values.stage,
        log: (line) => io.out(line),
      });
      if (result.plan.length === 0) io.out(`no stacks of this project in ${region}`);
      if (!values['dry-run']) {
        io.out(`deleted ${result.deleted.length}, failed ${result.failed.length}`);
      }
      return result.failed.length > 0 ? 1 : 0;
    } catch (error) {
      io.err(`kw sweep: ${(error as Error).message}`);
      return 1;
    } finally {
      cfn.destroy();
      ec2.destroy();
    }
  },
};
