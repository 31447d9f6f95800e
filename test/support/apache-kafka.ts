/**
 * Apache Kafka itself, for the suites that hold the embedded broker up against it: a one-node or
 * multi-node KRaft cluster (every node both broker and controller) on free loopback ports with a
 * temporary log directory, and Kafka's own CLI classes, all run from the jars that
 * scripts/install-test-deps.sh resolves from Maven Central (version pinned in
 * test/peers/apache-kafka/pom.xml).
 *
 * Without Java or the jars, every entry point throws PeerMissingError saying what to install.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { requestFrame } from '../../local/kafka/request-frame';
import { decodeResponse } from '../../local/kafka/response-frame';

const ROOT = path.join(__dirname, '..', '..');
/** Where scripts/install-test-deps.sh puts what it installs. */
export const TEST_DEPS = path.join(ROOT, '.test-deps');
const POM = path.join(ROOT, 'test', 'peers', 'apache-kafka', 'pom.xml');

/** A peer (Java, Kafka's jars, a client) that a suite needs is not installed. */
export class PeerMissingError extends Error {
  public override readonly name = 'PeerMissingError';
}

/** The Apache Kafka version the pom pins. */
export const APACHE_KAFKA_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(
  readFileSync(POM, 'utf8'),
)![1];

/** The folder of Apache Kafka's jars (broker, tools, clients). */
export const APACHE_KAFKA_LIBS = path.join(TEST_DEPS, `apache-kafka-${APACHE_KAFKA_VERSION}`, 'libs');

/** Kafka's command-line tools, by the script name a Kafka installation has, and the class each runs. */
export const KAFKA_TOOLS = {
  'kafka-topics.sh': 'org.apache.kafka.tools.TopicCommand',
  'kafka-console-producer.sh': 'kafka.tools.ConsoleProducer',
  'kafka-console-consumer.sh': 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  'kafka-consumer-groups.sh': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  'kafka-configs.sh': 'kafka.admin.ConfigCommand',
  'kafka-get-offsets.sh': 'org.apache.kafka.tools.GetOffsetShell',
  'kafka-delete-records.sh': 'org.apache.kafka.tools.DeleteRecordsCommand',
  'kafka-storage.sh': 'kafka.tools.StorageTool',
} as const;
export type KafkaTool = keyof typeof KAFKA_TOOLS;

/** Where to look for Java and Apache Kafka's jars. */
export interface ApacheKafkaInstall {
  /** A JDK's home; unset: `java` on PATH. */
  readonly javaHome?: string;
  /** The folder of jars. */
  readonly libs: string;
}

/**
 * The `java` to run, after checking that Java and Apache Kafka's jars are where `install` says;
 * throws PeerMissingError naming what is missing and how to install it.
 */
export function findApacheKafka(
  install: ApacheKafkaInstall = { javaHome: process.env.JAVA_HOME, libs: APACHE_KAFKA_LIBS },
): string {
  const java = install.javaHome ? path.join(install.javaHome, 'bin', 'java') : 'java';
  try {
    execFileSync(java, ['-version'], { stdio: 'ignore' });
  } catch {
    throw new PeerMissingError(
      `Java is not installed (no ${java}): Apache Kafka needs Java 17 or newer. ` +
        'Run scripts/install-test-deps.sh, or install a JDK and Maven yourself.',
    );
  }
  if (!existsSync(path.join(install.libs, `kafka_2.13-${APACHE_KAFKA_VERSION}.jar`))) {
    throw new PeerMissingError(
      `Apache Kafka ${APACHE_KAFKA_VERSION} is not installed in ${path.relative(ROOT, install.libs)}: ` +
        'run scripts/install-test-deps.sh (it resolves the jars from Maven Central with mvn).',
    );
  }
  return java;
}

let checked: string | undefined;

/** findApacheKafka() for this machine, checked once per process. */
export function requireApacheKafka(): string {
  checked ??= findApacheKafka();
  return checked;
}

/** Log4j 1 settings (Kafka 3.9 logs through reload4j): warnings and errors only, to stderr. */
const LOG4J = [
  'log4j.rootLogger=WARN, stderr',
  'log4j.appender.stderr=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stderr.Target=System.err',
  'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n',
].join('\n');

function log4jFile(): string {
  const file = path.join(tmpdir(), `kw-kafka-log4j-${process.pid}.properties`);
  if (!existsSync(file)) writeFileSync(file, `${LOG4J}\n`);
  return file;
}

/** JVM flags for a short-lived tool: start fast rather than run fast. */
const TOOL_JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto'];

/**
 * The command line a Kafka installation's `bin/TOOL` script runs (java, its flags, the class), for
 * callers that run the tool themselves, e.g. from a shell; throws PeerMissingError without Java or the jars.
 */
export function kafkaToolCommand(tool: KafkaTool): {
  readonly java: string;
  readonly args: readonly string[];
} {
  return kafkaJavaCommand(KAFKA_TOOLS[tool]);
}

export interface ToolRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/**
 * The command line that runs `mainClass` with Kafka's jars on the class path (after `classpath`), as
 * runJavaClass runs it, for callers that start and talk to the process themselves.
 */
export function kafkaJavaCommand(
  mainClass: string,
  classpath?: string,
): { readonly java: string; readonly args: readonly string[] } {
  return {
    java: requireApacheKafka(),
    args: [
      ...TOOL_JVM_FLAGS,
      `-Dlog4j.configuration=file:${log4jFile()}`,
      '-cp',
      [classpath, path.join(APACHE_KAFKA_LIBS, '*')].filter(Boolean).join(path.delimiter),
      mainClass,
    ],
  };
}

/**
 * Runs one of Kafka's command-line tools (`kafka-topics.sh ARGS`, ...) from the jars, with `input` on
 * stdin, and resolves when it exits (a killed run resolves with code null).
 */
export function runKafkaTool(
  tool: KafkaTool,
  args: readonly string[],
  options: { readonly input?: string; readonly timeoutMs?: number } = {},
): Promise<ToolRun> {
  return runJavaClass(KAFKA_TOOLS[tool], args, options);
}

/**
 * Runs `mainClass` with Kafka's jars on the class path (after `classpath`, for a program compiled
 * against them), the way runKafkaTool runs a tool.
 */
export function runJavaClass(
  mainClass: string,
  args: readonly string[],
  options: { readonly input?: string; readonly timeoutMs?: number; readonly classpath?: string } = {},
): Promise<ToolRun> {
  const { java, args: jvm } = kafkaJavaCommand(mainClass, options.classpath);
  return new Promise((resolve) => {
    const child = execFile(java, [...jvm, ...args], {
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.stdin!.end(options.input ?? '');
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Free loopback ports, found by binding port 0 and releasing it. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export interface ApacheKafkaOptions {
  /** Broker nodes in the cluster; each is also a controller unless `controllers` is set. @default 1 */
  readonly nodes?: number;
  /**
   * Controller-only nodes (node ids after the brokers') forming the KRaft quorum on their own, as on a
   * managed cluster; 0: every node is both broker and controller. A drill that stops two of three
   * combined nodes would stop the quorum with them, and with it every ISR change. @default 0
   */
  readonly controllers?: number;
  /** Extra server.properties entries for every node (they override the defaults below). */
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  /** Give up waiting for the cluster after this long. @default 60 s */
  readonly startTimeoutMs?: number;
  /** Maximum heap of each node. @default '768m' */
  readonly heap?: string;
}

export interface ApacheKafkaNode {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  /** Whether the node's process is running. */
  readonly running: boolean;
}

export interface ApacheKafkaCluster {
  readonly version: string;
  /** host:port of every node, for a client's bootstrap setting. */
  readonly bootstrapServers: string;
  readonly nodes: readonly ApacheKafkaNode[];
  /** Time from launching the JVMs to the cluster answering Metadata with every broker, in ms. */
  readonly startupMs: number;
  /** Resident memory of each running node's JVM in bytes (from /proc), for the benchmarks. */
  residentBytes(): number[];
  /** Stops one node (SIGTERM, then SIGKILL after `graceMs`); its log directory stays. */
  stopNode(nodeId: number, graceMs?: number): Promise<void>;
  /** Starts a stopped node again on its ports and waits until it accepts connections. */
  startNode(nodeId: number): Promise<void>;
  /** What the nodes wrote to stdout and stderr (warnings and errors), for failure messages. */
  output(): string;
  /** Stops every node and removes the log directories. */
  stop(): Promise<void>;
}

/** Starts an Apache Kafka cluster in KRaft mode and resolves once Metadata lists every broker. */
export async function startApacheKafka(options: ApacheKafkaOptions = {}): Promise<ApacheKafkaCluster> {
  const java = requireApacheKafka();
  const count = options.nodes ?? 1;
  const controllers = options.controllers ?? 0;
  const ports = await freePorts((count + controllers) * 2);
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-apache-kafka-'));
  const all = Array.from({ length: count + controllers }, (_, i) => ({
    nodeId: i + 1,
    broker: i < count,
    controller: controllers === 0 || i >= count,
    port: ports[2 * i],
    controllerPort: ports[2 * i + 1],
    dir: path.join(dir, `node-${i + 1}`),
    process: undefined as ChildProcess | undefined,
    exited: Promise.resolve<number | null>(null),
  }));
  const nodes = all.filter((n) => n.broker);
  const voters = all
    .filter((n) => n.controller)
    .map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`)
    .join(',');
  const replicas = Math.min(3, count);
  const clusterId = newClusterId();
  const log4j = log4jFile();
  const logFile = path.join(dir, 'output.log');
  const classpath = path.join(APACHE_KAFKA_LIBS, '*');

  for (const node of all) {
    const listeners = [
      ...(node.broker ? [`PLAINTEXT://127.0.0.1:${node.port}`] : []),
      ...(node.controller ? [`CONTROLLER://127.0.0.1:${node.controllerPort}`] : []),
    ];
    const settings: Record<string, string | number | boolean> = {
      'process.roles': [node.broker && 'broker', node.controller && 'controller'].filter(Boolean).join(','),
      'node.id': node.nodeId,
      'controller.quorum.voters': voters,
      listeners: listeners.join(','),
      ...(node.broker ? { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}` } : {}),
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'log.dirs': path.join(node.dir, 'logs'),
      'offsets.topic.replication.factor': replicas,
      // One offsets partition per node keeps start-up quick (the default, 50, takes seconds to create).
      'offsets.topic.num.partitions': count,
      'transaction.state.log.replication.factor': replicas,
      'transaction.state.log.min.isr': Math.min(2, replicas),
      'transaction.state.log.num.partitions': count,
      // A test's first consumer should not wait the default 3 s for others to join.
      'group.initial.rebalance.delay.ms': 0,
      ...options.config,
    };
    mkdirSync(node.dir, { recursive: true });
    const properties = path.join(node.dir, 'server.properties');
    writeFileSync(
      properties,
      Object.entries(settings)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
    const format = await new Promise<ToolRun>((resolve) => {
      const child = execFile(
        java,
        [
          ...TOOL_JVM_FLAGS,
          `-Dlog4j.configuration=file:${log4j}`,
          '-cp',
          classpath,
          KAFKA_TOOLS['kafka-storage.sh'],
          'format',
          '-t',
          clusterId,
          '-c',
          properties,
        ],
        { timeout: 60_000 },
        (error, out, err) => resolve({ code: error ? 1 : 0, out, err }),
      );
      child.stdin!.end();
    });
    if (format.code !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`kafka-storage format failed for node ${node.nodeId}:\n${format.out}${format.err}`);
    }
  }

  const launch = (node: (typeof all)[number]) => {
    const fd = openSync(logFile, 'a');
    const child = spawn(
      java,
      [
        // A controller of a small test cluster needs little.
        `-Xmx${node.broker ? (options.heap ?? '768m') : '256m'}`,
        '-Xms128m',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${log4j}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        path.join(node.dir, 'server.properties'),
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    node.process = child;
    node.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        process.off('exit', reap);
        node.process = undefined;
        resolve(code);
      }),
    );
  };

  const output = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stopNode = async (node: (typeof all)[number], graceMs = 15_000) => {
    const child = node.process;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await node.exited;
    clearTimeout(timer);
  };
  const stopAll = async () => {
    // All at once: stopped one by one, the last nodes of a combined-mode quorum wait for a controller
    // that is gone before they give up their controlled shutdown. Dedicated controllers go last, for
    // the same reason.
    await Promise.all(nodes.map((n) => stopNode(n, 10_000)));
    await Promise.all(all.filter((n) => !n.broker).map((n) => stopNode(n, 10_000)));
    rmSync(dir, { recursive: true, force: true });
  };

  const started = Date.now();
  all.forEach(launch);
  try {
    await waitForBrokers(
      nodes.map((n) => n.port),
      count,
      options.startTimeoutMs ?? 60_000,
      () => all.find((n) => !n.process),
    );
  } catch (error) {
    const log = output();
    await stopAll();
    throw new Error(`Apache Kafka did not start: ${(error as Error).message}\n${log.slice(-4000)}`);
  }
  const startupMs = Date.now() - started;

  const byId = (nodeId: number) => {
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new Error(`no node ${nodeId} (nodes are 1-${count})`);
    return node;
  };
  return {
    version: APACHE_KAFKA_VERSION,
    bootstrapServers: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    get nodes() {
      return nodes.map((n) => ({
        nodeId: n.nodeId,
        port: n.port,
        controllerPort: n.controllerPort,
        running: n.process !== undefined,
      }));
    },
    startupMs,
    residentBytes: () => all.flatMap((n) => (n.process?.pid ? [residentBytesOf(n.process.pid)] : [])),
    stopNode: (nodeId, graceMs) => stopNode(byId(nodeId), graceMs),
    async startNode(nodeId) {
      const node = byId(nodeId);
      if (node.process) return;
      launch(node);
      await waitForBrokers([node.port], 1, options.startTimeoutMs ?? 60_000, () =>
        node.process ? undefined : node,
      );
    },
    output,
    stop: stopAll,
  };
}

/**
 * A random cluster id as the storage tool takes it: 16 bytes in URL-safe base64 without padding, not
 * starting with '-' (the tool's argument parser would read such an id as an option, as Kafka's own
 * id generator also avoids).
 */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** VmRSS of a process, in bytes. */
export function residentBytesOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return kib ? Number(kib[1]) * 1024 : 0;
}

/** Asks `port` for Metadata v1 and resolves to the number of brokers it lists (rejects on failure). */
function brokersListed(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no Metadata response'));
    }, 2000);
    socket.on('connect', () =>
      socket.write(requestFrame(MetadataSchema.request, 1, { Topics: [] }, 1, 'apache-kafka-probe')),
    );
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4 || buffered.length < 4 + buffered.readInt32BE(0)) return;
      clearTimeout(timer);
      socket.destroy();
      try {
        const { body } = decodeResponse(MetadataSchema, 1, buffered.subarray(4));
        resolve((body.Brokers as unknown[]).length);
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function waitForBrokers(
  ports: readonly number[],
  brokers: number,
  timeoutMs: number,
  exitedNode: () => { nodeId: number } | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing answered yet';
  for (;;) {
    const gone = exitedNode();
    if (gone) throw new Error(`node ${gone.nodeId} exited while starting`);
    const answers = await Promise.all(
      ports.map((p) =>
        brokersListed(p).catch((error: Error) => {
          last = `127.0.0.1:${p}: ${error.message}`;
          return 0;
        }),
      ),
    );
    if (answers.every((n) => n >= brokers)) return;
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms (${last})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
