/**
 * `kw broker`: runs the embedded Kafka-protocol broker in the foreground until Ctrl-C / SIGTERM.
 */
import { BrokerOptionsError, startBroker } from '../local/broker/broker';
import { FSYNC_POLICIES, type FsyncPolicy } from '../local/broker/storage/data-dir';
import { choiceFlag, integerFlag, parseCommandArgs, reportUsage, usageError } from './arguments';
import { CLUSTER_COMMANDS } from './cluster-command';
import type { Command } from './command';
import { CONSOLE_OPTIONS, consoleChoice, startSideServices, type ConsoleChoice } from './console-launch';
import { untilStopSignal } from './signals';

const HELP = `Usage: kw broker [--port 9092] [--host 127.0.0.1] [--brokers 1] [--data-dir D [--fsync P]]
                 [--no-auto-create] [--console-port 8080 | --no-console] [--verbose]

Runs a Kafka-protocol broker in this process: real Kafka clients (kafkajs, librdkafka/kcat,
kafka-python, @platformatic/kafka) connect to it unmodified. Topics and records are kept in memory,
or in --data-dir across restarts.
Prints 'listening on HOST:PORT' for each broker once it accepts connections, the address of its
control channel, through which 'kw cluster' stops, starts and pauses brokers, and the address of the
web console (brokers, topics, records, groups and their lag, live); Ctrl-C stops it.

Options:
  --port N          port of the first broker (0 picks a free one)          [default: 9092]
  --host H          address to listen on and advertise to clients          [default: 127.0.0.1]
  --brokers N       brokers in this process, on consecutive ports; leaders
                    of partitions are spread over them, as on a cluster    [default: 1]
  --advertised-listeners H:P[,H:P...]
                    addresses clients are told to use, one per broker, when
                    they differ from where it listens (a proxy, a port map)
  --no-auto-create  do not create unknown topics named in metadata requests
  --data-dir D      keep topics, records and committed offsets in D across
                    restarts (default: memory only)
  --fsync P         with --data-dir, when writes reach the device:
                    batch (before each acknowledgement), interval (every
                    second), none (left to the OS)                       [default: interval]
  --console-port N  port of the web console, printed as 'console: URL' (0 picks
                    a free one; when the default one is taken, the broker runs
                    without a console and says so)                       [default: 8080]
  --no-console      do not start the web console
  --verbose         log closed connections and the reason

Examples:
  kw broker
  kw broker --port 19092 --brokers 3
  kw broker --data-dir .kafka-data --fsync batch
  kw broker --console-port 8081
  kcat -b 127.0.0.1:9092 -L
  kw cluster stop 2`;

export const brokerCommand: Command = {
  help: HELP,
  async run(args, io) {
    // Unknown flags end with the pointer to --help; a bad value is reported on its own line.
    const parsed = parseCommandArgs(
      {
        args,
        options: {
          port: { type: 'string', default: '9092' },
          host: { type: 'string', default: '127.0.0.1' },
          brokers: { type: 'string', default: '1' },
          'data-dir': { type: 'string' },
          fsync: { type: 'string', default: 'interval' },
          'advertised-listeners': { type: 'string' },
          'no-auto-create': { type: 'boolean', default: false },
          ...CONSOLE_OPTIONS,
          verbose: { type: 'boolean', default: false },
        },
        strict: true,
      },
      usageError('broker', io, 'for the options'),
    );
    if (parsed === 2) return 2;
    const values = parsed.values;
    let port: number;
    let brokers: number;
    let fsync: FsyncPolicy;
    let webChoice: ConsoleChoice | undefined;
    try {
      port = integerFlag('--port', values.port, 0, 65535);
      brokers = integerFlag('--brokers', values.brokers, 1, 16);
      fsync = choiceFlag('--fsync', values.fsync, FSYNC_POLICIES, `one of ${FSYNC_POLICIES.join(', ')}`);
      webChoice = consoleChoice(values);
    } catch (error) {
      return reportUsage(error, usageError('broker', io, false));
    }
    const started = process.hrtime.bigint();
    let broker;
    try {
      broker = await startBroker({
        port,
        host: values.host,
        brokers,
        dataDir: values['data-dir'],
        fsync,
        advertisedListeners: values['advertised-listeners']?.split(','),
        autoCreateTopics: !values['no-auto-create'],
        log: values.verbose ? (m) => io.err(`broker: ${m}`) : undefined,
      });
    } catch (error) {
      if (!(error instanceof BrokerOptionsError)) throw error;
      io.err(`kw broker: ${error.message}`);
      return 1;
    }
    const side = await startSideServices('broker', io, webChoice, {
      host: values.host,
      bootstrapServers: broker.bootstrapServers,
      broker,
      log: values.verbose ? (m) => io.err(`console: ${m}`) : undefined,
    });
    if (!side) {
      await broker.close();
      return 1;
    }
    const { control, web } = side;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // Listen before saying so: a supervisor may send SIGTERM the moment it reads the ready line.
    const stopSignal = untilStopSignal();
    broker.ports.forEach((p, i) => io.out(`broker ${i + 1} listening on ${broker.host}:${p}`));
    if (control) io.out(`control  ${control.url}  (${CLUSTER_COMMANDS})`);
    if (web) io.out(`console: ${web.url}`);
    io.out(`ready in ${ms.toFixed(0)} ms; bootstrap servers: ${broker.bootstrapServers} (Ctrl-C to stop)`);

    io.out(`${await stopSignal}: stopping`);
    // The console first: its live streams read the brokers until it closes.
    await side.close();
    await broker.close();
    io.out('stopped');
    return 0;
  },
};
