/**
 * Synthesizes every deployment target with the real CDK CLI, as a user would, with AWS credentials
 * removed from the environment and no Docker: proof that synth needs neither. Then checks that an
 * invalid value fails with a message naming it. Prints progress and a summary; exits 1 on failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** One deployment target: a name and the CDK context that selects it. */
export interface Target {
  readonly name: string;
  readonly context: string[];
  /** Templates the synth must produce. */
  readonly stacks: string[];
}

/** Every deployment target the workshop supports. */
export const TARGETS: Target[] = [
  {
    name: 'default (MSK Serverless, on-demand mappings)',
    context: [],
    stacks: ['network', 'kafka', 'pipeline'],
  },
  { name: 'provisioned MSK', context: ['cluster=provisioned'], stacks: ['network', 'kafka', 'pipeline'] },
  {
    name: 'self-managed Kafka',
    context: ['cluster=self-managed', 'bootstrapServers=127.0.0.1:9092'],
    stacks: ['pipeline'],
  },
  {
    name: 'provisioned mappings',
    context: ['esmMode=provisioned'],
    stacks: ['network', 'kafka', 'pipeline'],
  },
  {
    name: 'self-destruct on',
    context: ['selfDestruct=true'],
    stacks: ['network', 'kafka', 'pipeline'],
  },
];

/** Invalid values, each of which must stop synth with a message naming it. */
const INVALID = [
  {
    context: ['cluster=bogus'],
    message: 'invalid cluster "bogus": expected one of serverless, provisioned, self-managed',
  },
  { context: ['clutser=provisioned'], message: 'unknown context key "clutser"' },
  { context: ['retryAttempts=3'], message: 'retryAttempts needs esmMode=provisioned' },
];
const TOTAL = TARGETS.length + INVALID.length;

const root = path.join(__dirname, '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');

/** The environment minus anything that could give the CDK CLI AWS credentials. */
function credentialFreeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^AWS_/.test(key)) env[key] = value;
  }
  const empty = mkdtempSync(path.join(tmpdir(), 'kw-no-aws-'));
  return {
    ...env,
    AWS_CONFIG_FILE: path.join(empty, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(empty, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
  };
}

/**
 * Loads each bundled function of a synthesized assembly in a fresh Node process and checks it exports
 * a handler; the ingest bundle also answers a bad request with 400, which needs no Kafka, and the
 * self-destruct bundle (when synthesized) leaves an unexpired stack alone, which needs no AWS call.
 */
function checkBundles(outDir: string): string[] {
  const template = JSON.parse(readFileSync(path.join(outDir, 'kw-dev-pipeline.template.json'), 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
    >;
  };
  const problems: string[] = [];
  const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
  if (functions.length < 3) problems.push(`expected at least 3 functions, found ${functions.length}`);
  for (const [id, resource] of functions) {
    const asset = resource.Metadata?.['aws:asset:path'];
    if (!asset) {
      problems.push(`${id}: no asset path`);
      continue;
    }
    const probe = `
      const m = require(${JSON.stringify(path.join(outDir, asset, 'index.js'))});
      if (typeof m.handler !== 'function') throw new Error('no handler export');
      // Lambda always passes a context; the Powertools wrapper reads the request id from it.
      const context = {
        awsRequestId: 'synth-probe',
        functionName: ${JSON.stringify(id)},
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + ${JSON.stringify(id)},
        memoryLimitInMB: '128',
        getRemainingTimeInMillis: () => 30000,
      };
      if (${JSON.stringify(id)}.startsWith('Ingest')) {
        m.handler({ requestContext: { http: { method: 'POST' } }, body: '{}' }, context).then((r) => {
          if (r.statusCode !== 400) throw new Error('ingest answered ' + r.statusCode + ' to an invalid order');
        });
      }
      if (${JSON.stringify(id)}.startsWith('SelfDestruct')) {
        m.handler({}, context).then((r) => {
          if (r.action !== 'not-yet') throw new Error('self-destruct before expiry: ' + JSON.stringify(r));
        });
      }`;
    const run = spawnSync(process.execPath, ['-e', probe], {
      env: {
        ...credentialFreeEnv(),
        KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9',
        LEDGER_TABLE_NAME: 'probe',
        STACK_ID: 'kw-dev-pipeline',
        EXPIRES_AT: '2999-01-01T00:00:00Z',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      },
      encoding: 'utf8',
    });
    if (run.status !== 0) problems.push(`${id}: ${run.stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
  }
  return problems;
}

function synth(context: string[], outDir: string) {
  const args = ['synth', '--quiet', '--no-notices', '-o', outDir, ...context.flatMap((c) => ['-c', c])];
  const started = Date.now();
  const result = spawnSync(cdk, args, { cwd: root, env: credentialFreeEnv(), encoding: 'utf8' });
  return { ...result, seconds: (Date.now() - started) / 1000, command: `cdk ${args.join(' ')}` };
}

/** What synthesizing one target produced. */
export interface TargetSynth extends ReturnType<typeof synth> {
  /** File names of the templates written to the output folder. */
  readonly templates: string[];
  /** Stacks of `target.stacks` whose template is not there. */
  readonly missing: string[];
}

/** Synthesizes `target` with the CDK CLI, without AWS credentials, into `outDir`. */
export function synthTarget(target: Target, outDir: string): TargetSynth {
  const run = synth(target.context, outDir);
  const templates = run.status === 0 ? readdirSync(outDir).filter((f) => f.endsWith('.template.json')) : [];
  const missing = target.stacks.filter((s) => !templates.includes(`kw-dev-${s}.template.json`));
  return { ...run, templates, missing };
}

function main(): void {
  let failures = 0;
  const work = mkdtempSync(path.join(tmpdir(), 'kw-synth-'));
  try {
    TARGETS.forEach((target, i) => {
      process.stdout.write(`[${i + 1}/${TOTAL}] synth ${target.name} ... `);
      const outDir = path.join(work, String(i));
      const run = synthTarget(target, outDir);
      const { templates, missing } = run;
      if (run.status !== 0 || missing.length > 0) {
        failures++;
        console.log(`FAILED (${run.command})\n${run.stdout}${run.stderr}`);
        if (missing.length > 0) console.log(`missing templates: ${missing.join(', ')}`);
      } else {
        const problems = checkBundles(outDir);
        if (problems.length > 0) {
          failures++;
          console.log(`FAILED: bundles do not load\n  ${problems.join('\n  ')}`);
        } else {
          console.log(`ok in ${run.seconds.toFixed(1)} s: ${templates.join(', ')}; bundled handlers load`);
        }
      }
    });

    INVALID.forEach((invalid, i) => {
      const step = TARGETS.length + i + 1;
      process.stdout.write(`[${step}/${TOTAL}] synth with -c ${invalid.context.join(' -c ')} must fail ... `);
      const run = synth(invalid.context, path.join(work, `invalid-${i}`));
      if (run.status !== 0 && `${run.stdout}${run.stderr}`.includes(invalid.message)) {
        console.log(`ok: exit ${run.status}, "${invalid.message}"`);
      } else {
        failures++;
        console.log(`FAILED: exit ${run.status}\n${run.stdout}${run.stderr}`);
      }
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  console.log(
    failures === 0
      ? 'synth: every target synthesized without AWS credentials or Docker'
      : `synth: ${failures} failed`,
  );
  process.exit(failures === 0 ? 0 : 1);
}

if (require.main === module) main();
