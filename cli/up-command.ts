/**
 * `kw up` (`npm start`): synthesizes the CDK app and runs it on this machine with the local runtime,
 * on the embedded broker or an existing Kafka cluster (--bootstrap), then shows a live summary until
 * Ctrl-C.
 */
import * as path from 'node:path';
import type { RunningControl } from '../local/broker/control/control-server';
import { AssemblyError, LOCAL_REGION } from '../local/runtime/assembly';
import {
  BootstrapError,
  parseBootstrapServers,
  probeCluster,
  type ClusterSummary,
} from '../local/runtime/kafka/bootstrap';
import { startLocalRuntime, type LocalRuntime, type RuntimeSnapshot } from '../local/runtime/runtime';
import {
  integerFlag,
  keyValueFlag,
  parseCommandArgs,
  portFlag,
  reportUsage,
  usageError,
  UsageError,
} from './arguments';
import { CLUSTER_COMMANDS } from './cluster-command';
import type { Command, CommandIO } from './command';
import {
  CONSOLE_OPTIONS,
  consoleChoice,
  startSideServices,
  type ConsoleChoice,
  type LaunchedConsole,
} from './console-launch';
import { untilStopSignal } from './signals';
import { runFilePath, writeRunFile, type RunInfo } from './run-file';
import { PROJECT_ROOT, staleReason, synthesize, withSynthLock } from './synth';

const HELP = `Usage: kw up [--assembly DIR | --synth] [-c key=value]... [--port 3000]
             [--broker-port 9092 [--brokers 1] | --bootstrap HOST:PORT[,HOST:PORT...]]
             [--dynamodb-port 8000] [--host 127.0.0.1] [--data-dir D] [--env KEY=VALUE]...
             [--console-port 8080 | --no-console] [--no-iam] [--verbose]

Runs the pipeline on this machine: the same CDK template 'cdk deploy' would send, with MSK replaced
by the embedded broker (or an existing Kafka cluster, --bootstrap), DynamoDB by an embedded endpoint
(dynalite), each Lambda function by local processes, each Kafka event source mapping by a local poller
and each Function URL by a local port. Prints every local endpoint once ready (with the embedded
broker, also its control channel: 'kw cluster stop N' and the like run failure drills on it) and
the web console (the pipeline as a live graph, batches, traces, drills, and the cluster's topics,
records and groups), then a summary every second. Ctrl-C stops everything.

IAM is enforced as on AWS (with the embedded broker and an MSK cluster in the app): the broker opens
an MSK IAM listener beside the plain one that authenticates and authorizes each request by the
roles' policies in the template; functions, mappings and the topic-admin custom resource use it with
their role's local credentials, and Function URLs with AWS_IAM auth want signed requests. The
credentials are written under the output folder (one profile per role, and 'caller' for Function
URLs), never ~/.aws; 'kw load' and 'kw ... --as-role ROLE' find them while kw up runs.

Options:
  --assembly DIR     run an already synthesized cloud assembly instead of synthesizing
  --synth            synthesize even if cdk.out is up to date
  -c, --context K=V  CDK context for the synthesis, as 'cdk synth -c' (e.g. -c esmMode=provisioned)
  --port N           port of the first Function URL (0 picks a free one)     [default: 3000]
  --broker-port N    port of the (first) embedded broker                    [default: 9092]
  --brokers N        embedded brokers, on consecutive ports; partition leaders
                     are spread over them, as on a cluster                  [default: 1]
  --bootstrap H:P,.. run on an existing Kafka cluster (plaintext listeners) instead of the
                     embedded broker: nothing is started or stopped there; the template's topics
                     are created when missing, existing ones used as they are; functions and
                     mappings connect to it. Excludes --broker-port and --brokers.
  --dynamodb-port N  DynamoDB port                                          [default: 8000]
  --host H           address every local endpoint listens on              [default: 127.0.0.1]
  --data-dir D       keep tables and function logs in D across restarts, and with the embedded
                     broker its topics, records and offsets (an existing cluster keeps its own)
  --env KEY=VALUE    extra environment for every function (e.g. POWERTOOLS_LOG_LEVEL=DEBUG)
  --max-concurrency N  environments per function                          [default: 10]
  --console-port N   port of the web console, printed as 'console: URL' (0 picks a free one;
                     when the default one is taken, the pipeline runs without a console and
                     says so)                                               [default: 8080]
  --no-console       do not start the web console
  --no-iam           do not enforce IAM: no IAM listener, functions and mappings on the plain one,
                     Function URLs take unsigned requests (--bootstrap never enforces it)
  --verbose          print function output here too (it always goes to the log files)

Examples:
  npm start
  npx kw up --data-dir .kw-data
  npx kw up --no-iam
  npx kw up -c esmMode=provisioned -c retryAttempts=2
  npx kw up --port 3100 --broker-port 19092 --dynamodb-port 18000 --console-port 18080
  npx kw up --bootstrap 127.0.0.1:9092,127.0.0.1:9093 --data-dir .kw-data`;

/** What local IAM enforcement reads from the template. */
const IAM_RESOURCE_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']);

/** One line for the live summary. */
function summaryLine(s: RuntimeSnapshot, now = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  const topics = s.topics.map((t) => `${t.name} ${t.records}`).join(' · ');
  const lag = s.mappings.map((m) => `${m.name} ${m.lag}`).join(' · ');
  const calls = s.functions
    .filter((f) => f.invocations > 0 || s.mappings.length === 0)
    .map((f) => `${f.name} ${f.invocations}`)
    .join(' · ');
  const errors = s.functions.reduce((sum, f) => sum + f.errors, 0);
  // A mapping the cluster refuses reads nothing: say so where its lag would otherwise just grow.
  const problems = s.mappings
    .filter((m) => m.lastProcessingResult.startsWith('PROBLEM'))
    .map((m) => ` | ${m.name}: ${m.lastProcessingResult}`)
    .join('');
  return `${time}  records: ${topics || '-'} | lag: ${lag || '-'} | invocations: ${calls || '0'} | errors ${errors} | dead letters ${s.deadLetters}${problems}`;
}

function readyBlock(
  runtime: LocalRuntime,
  control: RunningControl | undefined,
  web: LaunchedConsole | undefined,
  seconds: number,
): string {
  const lines = [`\nReady in ${seconds.toFixed(1)} s. Local endpoints:`];
  const rows: [string, string][] = [];
  const iam = runtime.iam;
  for (const u of runtime.urls) {
    const auth =
      u.authType !== 'AWS_IAM'
        ? ''
        : u.authEnforced
          ? `   (AWS_IAM: sign requests, SigV4 service lambda, with profile ${iam?.callerProfile})`
          : `   (AWS_IAM auth is not enforced: ${runtime.iamNotEnforced ?? 'IAM is off'}; no signature needed)`;
    rows.push([`${u.functionName} URL`, `${u.url}${auth}`]);
  }
  const cluster = runtime.kafka;
  rows.push([
    'Kafka bootstrap',
    cluster.kind === 'existing'
      ? `${runtime.bootstrapServers}   (existing cluster${cluster.clusterId ? ` ${cluster.clusterId}` : ''}, ${cluster.brokers} broker${cluster.brokers === 1 ? '' : 's'}: kw up neither starts nor stops it)`
      : runtime.bootstrapServers,
  ]);
  if (iam) {
    rows.push([
      'Kafka IAM',
      `${iam.bootstrapServers}   (MSK IAM: SASL OAUTHBEARER or AWS_MSK_IAM, cluster ${iam.clusterArn})`,
    ]);
    rows.push(['credentials', `${iam.files.credentialsFile}   (config ${iam.files.configFile})`]);
  }
  if (control) rows.push(['control', `${control.url}   (${CLUSTER_COMMANDS})`]);
  rows.push(['DynamoDB', `${runtime.dynamodb.endpoint}   (region ${LOCAL_REGION}, any credentials)`]);
  for (const t of runtime.assembly.tables) rows.push(['table', t.name]);
  for (const m of runtime.mappings) {
    const s = m.spec;
    const mode = s.provisioned ? `provisioned, ${s.retryAttempts} retries` : 'on-demand';
    rows.push([
      'mapping',
      `${m.poller.spec.functionName} ← ${s.topic} (group ${s.consumerGroupId}, batch ${s.batchSize}, window ${s.batchWindowMs} ms, ${mode})`,
    ]);
  }
  rows.push(['function logs', path.join(runtime.outputDir, 'logs')]);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(width)}  ${v}`);
  if (web) lines.push(`console: ${web.url}`);
  // With IAM enforced the roles and their policies are what the broker and the URLs decide by.
  const skipped = [...runtime.assembly.notEmulated]
    .filter(([type]) => !(iam && IAM_RESOURCE_TYPES.has(type)))
    .map(([type, n]) => `${type} ×${n}`);
  if (skipped.length > 0) {
    lines.push(
      `Not emulated (${iam ? '' : `IAM is not enforced (${runtime.iamNotEnforced}), `}metrics and alarms are not evaluated, networking is loopback):`,
    );
    lines.push(`  ${skipped.join(', ')}`);
  }
  for (const w of [...runtime.assembly.warnings, ...runtime.warnings]) lines.push(`warning: ${w}`);
  const ingest = runtime.urls[0];
  if (ingest) {
    const order = `'{"customerId":"c-1","items":[{"sku":"tea","quantity":2,"unitPrice":3.5}]}'`;
    lines.push(`Try:`);
    if (ingest.authEnforced && iam) {
      lines.push(
        `  eval "$(npx kw credentials)"   (the ${iam.callerProfile} profile's keys as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`,
        `  curl -s -X POST ${ingest.url} --aws-sigv4 'aws:amz:${LOCAL_REGION}:lambda' --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'content-type: application/json' -d ${order}`,
      );
      lines.push(
        `  npm run load -- --count 1000   (signs with the ${iam.callerProfile} profile while kw up runs)`,
      );
    } else {
      lines.push(`  curl -s -X POST ${ingest.url} -H 'content-type: application/json' -d ${order}`);
      lines.push(`  npm run load -- --url ${ingest.url} --count 1000`);
    }
  }
  lines.push('Ctrl-C stops everything.\n');
  return lines.join('\n');
}

/**
 * Tells the other kw commands where this run is (run-file.ts); a run that cannot write the file still
 * runs, and says what the other commands then need to be told.
 */
function announceRun(runtime: LocalRuntime, web: LaunchedConsole | undefined, io: CommandIO): () => void {
  const iam = runtime.iam;
  const info: RunInfo = {
    pid: process.pid,
    bootstrapServers: runtime.bootstrapServers,
    urls: runtime.urls.map((u) => ({ functionName: u.functionName, url: u.url, authType: u.authType })),
    ...(iam && {
      iam: {
        bootstrapServers: iam.bootstrapServers,
        clusterArn: iam.clusterArn,
        credentialsFile: iam.files.credentialsFile,
        configFile: iam.files.configFile,
        callerProfile: iam.callerProfile,
        profiles: iam.profiles,
      },
    }),
    ...(web && { console: web.url }),
  };
  try {
    return writeRunFile(info);
  } catch (error) {
    io.err(
      `kw up: warning: could not write ${runFilePath()} (${(error as Error).message}): give kw load --url and --credentials yourself`,
    );
    return () => undefined;
  }
}

export const upCommand: Command = {
  help: HELP,
  async run(args, io: CommandIO) {
    const usage = usageError('up', io, 'for the options');
    const parsed = parseCommandArgs(
      {
        args,
        options: {
          assembly: { type: 'string' },
          synth: { type: 'boolean', default: false },
          context: { type: 'string', short: 'c', multiple: true },
          port: { type: 'string', default: '3000' },
          'broker-port': { type: 'string' },
          brokers: { type: 'string' },
          bootstrap: { type: 'string' },
          'dynamodb-port': { type: 'string', default: '8000' },
          host: { type: 'string', default: '127.0.0.1' },
          'data-dir': { type: 'string' },
          env: { type: 'string', multiple: true },
          'max-concurrency': { type: 'string', default: '10' },
          ...CONSOLE_OPTIONS,
          'no-iam': { type: 'boolean', default: false },
          verbose: { type: 'boolean', default: false },
        },
        strict: true,
      },
      usage,
    );
    if (parsed === 2) return 2;
    const values = parsed.values;
    let ports: { http: number; broker?: number; dynamodb: number };
    let brokers: number | undefined;
    let bootstrap: string[] | undefined;
    let context: Record<string, string>;
    let env: Record<string, string>;
    let maxConcurrency: number;
    let webChoice: ConsoleChoice | undefined;
    try {
      ports = {
        http: portFlag('--port', values.port),
        broker:
          values['broker-port'] === undefined ? undefined : portFlag('--broker-port', values['broker-port']),
        dynamodb: portFlag('--dynamodb-port', values['dynamodb-port']),
      };
      if (values.brokers !== undefined) brokers = integerFlag('--brokers', values.brokers, 1, 16);
      if (values.bootstrap !== undefined) {
        const embeddedOnly = [
          ...(ports.broker === undefined ? [] : ['--broker-port']),
          ...(brokers === undefined ? [] : ['--brokers']),
        ];
        if (embeddedOnly.length > 0) {
          throw new UsageError(
            `--bootstrap runs on an existing cluster: ${embeddedOnly.join(' and ')} (for the embedded broker) cannot be combined with it`,
          );
        }
        try {
          bootstrap = parseBootstrapServers(values.bootstrap);
        } catch (error) {
          if (!(error instanceof BootstrapError)) throw error;
          throw new UsageError(`--bootstrap ${error.message}`);
        }
      }
      context = Object.fromEntries(keyValueFlag('-c', values.context, 'KEY=VALUE'));
      env = Object.fromEntries(keyValueFlag('--env', values.env, 'KEY=VALUE'));
      maxConcurrency = integerFlag('--max-concurrency', values['max-concurrency'], 1, 100);
      webChoice = consoleChoice(values);
      if (values.assembly && (values.synth || values.context)) {
        throw new UsageError(
          '--assembly runs an existing assembly: it cannot be combined with --synth or -c',
        );
      }
    } catch (error) {
      return reportUsage(error, usage);
    }

    const started = Date.now();
    const status = (text: string) => (io.tty ? io.status?.(text) : undefined);
    let probedCluster: ClusterSummary | undefined;
    if (bootstrap) {
      // Before a synthesis that may take seconds: an address that does not answer is the likelier mistake.
      try {
        probedCluster = await probeCluster(bootstrap);
      } catch (error) {
        io.err(`kw up: ${(error as Error).message}`);
        return 1;
      }
    }
    let assemblyDir: string;
    if (values.assembly) {
      assemblyDir = path.resolve(values.assembly);
      io.out(`[1/2] using the cloud assembly in ${assemblyDir}`);
    } else {
      assemblyDir = path.join(PROJECT_ROOT, 'cdk.out');
      try {
        await withSynthLock(assemblyDir, async () => {
          const stale = values.synth ? '--synth' : staleReason(assemblyDir, context);
          if (!stale) {
            io.out('[1/2] cdk.out is up to date (--synth rebuilds it)');
            return;
          }
          const label = `[1/2] synthesizing the CDK app into cdk.out (${stale})`;
          if (!io.tty) io.out(`${label} ...`);
          await synthesize(assemblyDir, context, (s) => status(`${label} ... ${s.toFixed(1)} s`));
          status('');
          io.out(`${label} ... done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });
      } catch (error) {
        status('');
        io.err(`kw up: ${(error as Error).message}`);
        return 1;
      }
    }

    io.out(
      bootstrap
        ? `[2/2] connecting to Kafka at ${bootstrap.join(',')}; starting DynamoDB, functions, mappings and URLs ...`
        : '[2/2] starting the broker, DynamoDB, functions, mappings and URLs ...',
    );
    let runtime: LocalRuntime;
    try {
      runtime = await startLocalRuntime({
        assembly: assemblyDir,
        host: values.host,
        brokerPort: ports.broker,
        brokers,
        bootstrapServers: bootstrap,
        probedCluster,
        httpPort: ports.http,
        dynamodbPort: ports.dynamodb,
        dataDir: values['data-dir'] ? path.resolve(values['data-dir']) : undefined,
        environment: env,
        maxConcurrency,
        iam: values['no-iam'] ? false : undefined,
        log: (m) => io.out(`  ${m}`),
        functionOutput: values.verbose ? (line) => io.out(line) : undefined,
      });
    } catch (error) {
      const message = (error as Error).message;
      io.err(`kw up: ${message}`);
      if (error instanceof AssemblyError) io.err('Run without --assembly to synthesize the app first.');
      return 1;
    }
    const side = await startSideServices('up', io, webChoice, {
      host: values.host,
      bootstrapServers: runtime.bootstrapServers,
      broker: runtime.broker,
      runtime,
      log: values.verbose ? (m) => io.err(`console: ${m}`) : undefined,
    });
    if (!side) {
      await runtime.close();
      return 1;
    }
    const { control, web } = side;
    // Listen before saying so: a supervisor may send SIGTERM the moment it reads the ready block.
    const stopSignal = untilStopSignal();
    // The run file before the ready block: whoever reads the block may run kw load at once.
    const removeRunFile = announceRun(runtime, web, io);
    io.out(readyBlock(runtime, control, web, (Date.now() - started) / 1000));

    let last = '';
    const timer = setInterval(() => {
      const line = summaryLine(runtime.snapshot());
      const body = line.slice(10);
      if (io.tty) io.status?.(line);
      else if (body !== last) io.out(line);
      last = body;
    }, 1000);

    const signal = await stopSignal;
    clearInterval(timer);
    status('');
    io.out(`${signal}: stopping (in-flight batches are not committed and will be delivered again)`);
    // The console first: its live streams read the pipeline and the brokers until it closes.
    removeRunFile();
    await side.close();
    await runtime.close();
    io.out('stopped');
    return 0;
  },
};
