/**
 * The local runtime: runs a synthesized cloud assembly on one machine. The MSK cluster becomes the
 * embedded broker (or an existing Kafka cluster, given its bootstrap servers), tables an embedded
 * DynamoDB endpoint, functions pools of local processes, Kafka event source mappings local pollers,
 * Function URLs local HTTP ports, topics topics on the broker (provisioning/kafka.ts says what
 * differs on an existing cluster).
 *
 * IAM is enforced as on MSK and Lambda (local-iam.ts) unless turned off (`iam: false`) or impossible
 * (an existing cluster, an app without an MSK cluster): the broker opens an IAM listener that
 * authenticates and authorizes by the roles' policies in the template, functions and mappings use it
 * with their role's local credentials, the topic-admin custom resource's role is checked before its
 * topics are created, and AWS_IAM Function URLs want signed requests.
 *
 * This file wires the parts in order: lifecycle.ts starts and stops them, provisioning/ turns what
 * the template declares into running things, status.ts reads the live summary's figures.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { RunningBroker } from '../broker/broker';
import { loadAssembly, type CloudAssemblyView } from './assembly';
import { startDynamoDB, type LocalDynamoDB } from './dynamodb';
import { mappingGrants, missingMappingGrants } from './esm/mapping-grants';
import { notAuthorized, verifyFunctionUrlRequest, type SignedRequest } from './iam/function-url-auth';
import type { WrittenCredentialFiles } from './iam/local-credentials';
import { mskIamToken } from './kafka/iam-token';
import { NO_MSK_CLUSTER, NoMskClusterError, principalOf, setUpLocalIam, type LocalIam } from './local-iam';
import { missingTopicAdminGrants } from './iam/topic-admin-grants';
import type { ProfileKeys } from './iam/url-signing';
import { LOCAL_REGION } from './template/intrinsics';
import { startKafkaTarget, type KafkaClusterInfo } from './kafka-target';
import type { ClusterSummary } from './kafka/bootstrap';
import { Lifecycle, StopPhase } from './lifecycle';
import { nodeWarnings, startFunctions, type RunningFunction } from './provisioning/functions';
import { provisionTopics, resumedGroupsWarning } from './provisioning/kafka';
import { startMappings, type RunningMapping } from './provisioning/mappings';
import { provisionTables } from './provisioning/tables';
import { startFunctionUrls, type LocalEndpointUrl } from './provisioning/urls';
import { runtimeStatus, type RuntimeSnapshot } from './status';

export type { RunningFunction } from './provisioning/functions';
export type { RunningMapping } from './provisioning/mappings';
export type { LocalEndpointUrl } from './provisioning/urls';
export type { RuntimeSnapshot } from './status';

export interface LocalRuntimeOptions {
  /** A loaded assembly or the directory of one. */
  readonly assembly: CloudAssemblyView | string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Broker port; 0 picks a free one. @default 9092 */
  readonly brokerPort?: number;
  /** Embedded brokers, on consecutive ports from brokerPort. @default 1 */
  readonly brokers?: number;
  /**
   * host:port of an existing Kafka cluster (plaintext) to run on instead of the embedded broker;
   * brokerPort and brokers do not apply then.
   */
  readonly bootstrapServers?: readonly string[];
  /** What probeCluster found at bootstrapServers, when the caller asked already (it is not asked again). */
  readonly probedCluster?: ClusterSummary;
  /** First Function URL port; further URLs take the next ports (0: free ports). @default 3000 */
  readonly httpPort?: number;
  /** @default 8000 */
  readonly dynamodbPort?: number;
  /** Keeps broker data (embedded broker only) and tables across restarts; memory only when absent. */
  readonly dataDir?: string;
  /**
   * Function logs and on-failure files. Default: `output` under dataDir; without one, a temporary
   * folder removed on close (like the rest of the state).
   */
  readonly outputDir?: string;
  /** Extra environment for every function, applied last. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Most environments per function. @default 10 */
  readonly maxConcurrency?: number;
  /** Progress and diagnostics. */
  readonly log?: (message: string) => void;
  /** Receives function output lines, prefixed with the function's short name, besides its log file. */
  readonly functionOutput?: (line: string) => void;
  /**
   * Enforce IAM as on AWS: Kafka's IAM listener, functions and mappings as their roles, signed
   * Function URL requests. Needs the embedded broker and an MSK cluster in the app: by default it is
   * on where it can be (`iamNotEnforced` says why not elsewhere); `true` fails where it cannot be.
   * @default on where possible
   */
  readonly iam?: boolean;
}

/** How IAM is enforced in a running runtime. */
export interface RuntimeIam {
  /** host:port list of the broker's IAM listeners. */
  readonly bootstrapServers: string;
  /** The MSK cluster ARN the broker stands for. */
  readonly clusterArn: string;
  /** The shared credentials and config files (one profile per role, and the caller). */
  readonly files: WrittenCredentialFiles;
  /** The profile to sign Function URL requests with. */
  readonly callerProfile: string;
  /** That profile's keys. */
  readonly callerKeys: ProfileKeys;
  /** Every profile in the credentials file: the app's roles, then the caller. */
  readonly profiles: readonly string[];
}

export interface LocalRuntime {
  readonly assembly: CloudAssemblyView;
  /** The embedded broker; undefined on an existing cluster. */
  readonly broker: RunningBroker | undefined;
  readonly kafka: KafkaClusterInfo;
  /** Comma-separated host:port list, as functions get it in KAFKA_BOOTSTRAP_SERVERS. */
  readonly bootstrapServers: string;
  /** Things found at start that a user should know (a topic smaller than the template says...). */
  readonly warnings: readonly string[];
  readonly dynamodb: LocalDynamoDB;
  readonly urls: readonly LocalEndpointUrl[];
  readonly functions: ReadonlyMap<string, RunningFunction>;
  readonly mappings: readonly RunningMapping[];
  readonly outputDir: string;
  /** Set when IAM is enforced. */
  readonly iam: RuntimeIam | undefined;
  /** Why IAM is not enforced, when it is not. */
  readonly iamNotEnforced: string | undefined;
  snapshot(): RuntimeSnapshot;
  close(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  const assembly = typeof options.assembly === 'string' ? loadAssembly(options.assembly) : options.assembly;
  const temporary = !options.outputDir && !options.dataDir;
  const outputDir =
    options.outputDir ??
    (options.dataDir ? path.join(options.dataDir, 'output') : mkdtempSync(path.join(tmpdir(), 'kw-up-')));
  mkdirSync(path.join(outputDir, 'logs'), { recursive: true });

  const lifecycle = new Lifecycle(log);
  if (temporary) lifecycle.onStop(StopPhase.temp, () => rm(outputDir, { recursive: true, force: true }));
  return lifecycle.start(async () => {
    const { iam, notEnforced: iamNotEnforced } = localIam(options, assembly, outputDir, log);
    // Where things run: Kafka, DynamoDB and a Kafka admin client.
    const target = await startKafkaTarget({
      host,
      brokerPort: options.brokerPort,
      brokers: options.brokers,
      bootstrapServers: options.bootstrapServers,
      probedCluster: options.probedCluster,
      dataDir: options.dataDir,
      ...(iam && {
        iam: {
          credentials: iam.credentials,
          authorizer: iam.authorizer,
          region: LOCAL_REGION,
          clusterArn: iam.clusterArn,
        },
        brokerLog: (line: string) => log(`broker: ${line}`),
      }),
    });
    lifecycle.onStop(StopPhase.stores, () => target.close());
    const { broker, bootstrap, info: kafkaCluster } = target;
    const bootstrapServers = bootstrap.join(',');
    const dynamodb = await startDynamoDB({
      port: options.dynamodbPort ?? 8000,
      host,
      dataDir: options.dataDir ? path.join(options.dataDir, 'dynamodb') : undefined,
    });
    lifecycle.onStop(StopPhase.stores, () => dynamodb.close());
    log(`${target.description}; DynamoDB at ${dynamodb.endpoint}`);
    const kafka = new Kafka({ clientId: 'kw-up', brokers: [...bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    lifecycle.onStop(StopPhase.clients, () => admin.disconnect());

    // What the template declares, in dependency order: data, then functions, then what invokes them.
    const warnings = await provisionTopics(assembly, admin, kafkaCluster, log, iam && topicAdminCheck(iam));
    const tablesCreated = await provisionTables(assembly.tables, dynamodb.client, log);
    if (kafkaCluster.kind === 'existing' && tablesCreated) {
      const warning = await resumedGroupsWarning(assembly, admin);
      if (warning) warnings.push(warning);
    }
    const functions = await startFunctions(
      assembly,
      {
        endpoints: { bootstrapServers, dynamodbEndpoint: dynamodb.endpoint },
        ...(iam && {
          iam: {
            bootstrapServers: target.iamBootstrap.join(','),
            profileEnvironment: (spec: { id: string }) => {
              const role = iam.functionCredentials(spec.id);
              return role && iam.files.profileEnvironment(role.profile);
            },
          },
        }),
        outputDir,
        environment: options.environment,
        maxConcurrency: options.maxConcurrency,
        log,
        functionOutput: options.functionOutput,
      },
      lifecycle,
    );
    warnings.push(...nodeWarnings(functions.values()));
    const urls = await startFunctionUrls(
      assembly,
      functions,
      {
        host,
        firstPort: options.httpPort ?? 3000,
        log,
        ...(iam && { iamAuth: functionUrlAuth(iam) }),
      },
      lifecycle,
    );
    const mappings = startMappings(
      assembly,
      functions,
      {
        bootstrap,
        kafka,
        outputDir,
        log,
        ...(iam && {
          iam: {
            bootstrap: target.iamBootstrap,
            onFailureSasl: (spec: { functionId: string }) => {
              const role = iam.functionCredentials(spec.functionId);
              return mskIamToken(role ?? UNKNOWN_ROLE_KEYS, LOCAL_REGION);
            },
            auth: (spec: { functionId: string; topic: string; consumerGroupId: string }) => {
              const role = iam.functionCredentials(spec.functionId);
              // A function whose role is not in the app has no local keys: the broker refuses these.
              const keys = role ?? UNKNOWN_ROLE_KEYS;
              const grants = mappingGrants(iam.clusterArn, spec.topic, spec.consumerGroupId);
              return {
                sasl: mskIamToken(keys, LOCAL_REGION),
                explainDenial: (code: number) =>
                  role ? missingMappingGrants(iam.authorizer, principalOf(role), grants, code) : [],
              };
            },
          },
        }),
      },
      lifecycle,
    );

    const snapshot = await runtimeStatus({ assembly, broker, admin, functions, mappings }, lifecycle);
    return {
      assembly,
      broker,
      kafka: kafkaCluster,
      bootstrapServers,
      warnings,
      dynamodb,
      urls,
      functions,
      mappings,
      outputDir,
      iam: iam && {
        bootstrapServers: target.iamBootstrap.join(','),
        clusterArn: iam.clusterArn,
        files: iam.files,
        callerProfile: iam.callerProfile,
        callerKeys: iam.credentials.forProfile(iam.callerProfile)!,
        profiles: iam.credentials.all.map((c) => c.profile),
      },
      iamNotEnforced,
      snapshot,
      close: () => lifecycle.stop(),
    };
  });
}

/** Keys no role has: what a function whose role is not in the app signs with, so the broker refuses it. */
const UNKNOWN_ROLE_KEYS = { accessKeyId: 'AKIAUNKNOWNROLE00000', secretAccessKey: 'none' };

/** IAM for this run, or why there is none. */
function localIam(
  options: LocalRuntimeOptions,
  assembly: CloudAssemblyView,
  outputDir: string,
  log: (message: string) => void,
): { iam?: LocalIam; notEnforced?: string } {
  if (options.iam === false) return { notEnforced: 'turned off' };
  if (options.bootstrapServers) {
    if (options.iam) throw new Error('IAM enforcement needs the embedded broker, not an existing cluster');
    return { notEnforced: "an existing cluster's plaintext listeners have no IAM access control" };
  }
  try {
    return { iam: setUpLocalIam(assembly.dir, outputDir, log) };
  } catch (error) {
    if (!(error instanceof NoMskClusterError) || options.iam) throw error;
    return { notEnforced: NO_MSK_CLUSTER };
  }
}

/**
 * Checks, before topics are created, that the function behind each custom resource topic could do it
 * on AWS with its role; a topic AWS::MSK::Topic declares is created by the service and not checked.
 */
function topicAdminCheck(iam: LocalIam) {
  return (
    topic: { name: string; id: string; serviceFunctionId?: string },
    change: 'create' | 'grow' | 'keep',
  ) => {
    if (!topic.serviceFunctionId) return;
    const role = iam.functionCredentials(topic.serviceFunctionId);
    const missing = role
      ? missingTopicAdminGrants(iam.authorizer, principalOf(role), iam.clusterArn, topic.name, change)
      : [`${topic.serviceFunctionId} has no role in the app`];
    if (missing.length > 0)
      throw new Error(
        `topic ${topic.name} (${topic.id}): its custom resource's function ${topic.serviceFunctionId} could not ${change === 'keep' ? 'read' : change} it on MSK, so the deployment would fail here (CREATE_FAILED): ${missing.join('; ')}`,
      );
  };
}

/**
 * Checks a request to an AWS_IAM Function URL as AWS does: a valid signature by known credentials,
 * then lambda:InvokeFunctionUrl on the function for the signer.
 */
function functionUrlAuth(iam: LocalIam) {
  return (request: SignedRequest, functionArn: string) => {
    const verdict = verifyFunctionUrlRequest(request, { store: iam.credentials, region: LOCAL_REGION });
    if (!verdict.ok) return verdict;
    const principal = { arn: verdict.principalArn, accessKeyId: verdict.accessKeyId };
    const decision = iam.authorizer.authorize(principal, 'lambda:InvokeFunctionUrl', functionArn);
    return decision.allowed
      ? verdict
      : notAuthorized(
          `lambda:InvokeFunctionUrl on ${functionArn} is not allowed for ${verdict.principalArn} (${decision.reason}); sign with the ${iam.callerProfile} profile`,
        );
  };
}
