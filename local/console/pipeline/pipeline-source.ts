/**
 * The local runtime's pipeline for the console (`kw up`): the graph with live figures, each mapping's
 * batches, each function's invocations and log lines, order traces, and the drills (send orders, a
 * poison order, a slow function, redrive dead letters).
 *
 * Everything pipeline() shows is kept in memory as it happens, from the runtime's events (batch,
 * invocation, answer: costing nothing when no console listens), runtime.snapshot() and the function
 * log files; pipeline() itself makes no Kafka request. Dead letters are read with the runtime's own
 * Kafka reader (exact bytes, which a redrive must give back unchanged) only when the dead-letter
 * topic grew; redriven and poison records are produced with kafkajs. graph.ts, trace.ts, recent.ts,
 * dead-letters.ts and orders.ts hold the rules; this file does the I/O.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ErrorCode } from '../../kafka/errors';
import { open, stat } from 'node:fs/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ledgerKeys } from '../../../functions/ledger/ledger-writer';
import { readStackTemplates } from '../../runtime/template/manifest';
import type { BatchNotice } from '../../runtime/esm/mapping-poller';
import { ClusterView, type Connections } from '../../runtime/kafka/cluster-view';
import { PartitionReader } from '../../runtime/kafka/partition-reader';
import { KafkaResponseError, WireClient } from '../../runtime/kafka/wire-client';
import { MAX_DRILL_DELAY_MS, type InvocationNotice } from '../../runtime/lambda/function-pool';
import { shortName } from '../../runtime/provisioning/functions';
import type { LocalRuntime, RunningMapping } from '../../runtime/runtime';
import type { UrlAnswer } from '../../runtime/url-server';
import { functionUrlSigner } from '../../runtime/iam/url-signing';
import { LOCAL_REGION } from '../../runtime/template/intrinsics';
import {
  ConsoleRequestError,
  type BatchView,
  type ClusterSource,
  type FunctionView,
  type OrderTrace,
  type PipelineSnapshot,
  type PipelineSource,
  type RedriveRequest,
  type RedriveResult,
  type SendOrdersRequest,
  type SendOrdersResult,
  type SlowRequest,
} from '../api';
import { readDeadLetter, eventOrderId, type DeadLetter } from './dead-letters';
import { edgesWithFigures, produceGrants, topology, tracePath, type EdgeShape } from './graph';
import { poisonOrderValue, randomOrder } from './orders';
import { RateWindow, Ring } from './recent';
import { TraceBook } from './trace';

export interface PipelineSourceOptions {
  readonly runtime: LocalRuntime;
  /** For the cluster's side of the page; dead letters are read with the runtime's reader (exact bytes). */
  readonly cluster: ClusterSource;
  readonly log?: (message: string) => void;
}

const BATCHES_KEPT = 50;
const INVOCATIONS_KEPT = 50;
const LOG_LINES_KEPT = 100;
const DEAD_LETTERS_KEPT = 1000;
/** Orders posted at once by sendOrders. */
const IN_FLIGHT = 8;
const ORDER_ID = /^[A-Za-z0-9._:@-]{1,64}$/;

interface FunctionState {
  readonly name: string;
  readonly invocations: Ring<FunctionView['recentInvocations'][number]>;
  readonly logs: Ring<{ at: number; line: string }>;
}

interface MappingState {
  readonly running: RunningMapping;
  readonly functionName: string;
  readonly batches: Ring<BatchView>;
}

export function createPipelineSource(options: PipelineSourceOptions): PipelineSource {
  const { runtime } = options;
  const log = options.log ?? (() => undefined);
  const names = new Map([...runtime.functions.values()].map((f) => [f.spec.id, shortName(f.spec)] as const));
  const grantsById = produceGrants(readStackTemplates(runtime.assembly.dir));
  const graph = topology({
    functions: runtime.assembly.functions.map((f) => ({
      id: f.id,
      name: names.get(f.id)!,
      environment: f.environment,
    })),
    urls: runtime.urls.map((u) => u.functionName),
    topics: runtime.assembly.topics.map((t) => t.name),
    tables: runtime.assembly.tables.map((t) => t.name),
    mappings: runtime.mappings.map((m) => ({
      functionName: names.get(m.spec.functionId)!,
      topic: m.spec.topic,
      onFailureTopic: m.spec.onFailure?.kind === 'kafka' ? m.spec.onFailure.topic : undefined,
    })),
    produceGrants: new Map([...grantsById].map(([id, topics]) => [names.get(id) ?? id, topics] as const)),
  });
  const path = tracePath(graph);
  const dlqTopic = graph.deadLetterTopics[0];
  const traces = new TraceBook(1000);
  const cleanups: (() => void)[] = [];

  // ---- functions: invocations and log lines ----
  const functions = new Map<string, FunctionState>();
  for (const f of runtime.functions.values()) {
    const state: FunctionState = {
      name: shortName(f.spec),
      invocations: new Ring(INVOCATIONS_KEPT),
      logs: new Ring(LOG_LINES_KEPT),
    };
    functions.set(state.name, state);
    const onInvocation = (n: InvocationNotice) =>
      state.invocations.push({
        at: n.at,
        durationMs: n.durationMs,
        ok: n.ok,
        coldStart: n.coldStart,
        ...(n.error ? { error: n.error } : {}),
      });
    f.pool.on('invocation', onInvocation);
    cleanups.push(() => f.pool.off('invocation', onInvocation));
  }
  const tails = [...runtime.functions.values()].map((f) =>
    tailLines(f.logFile, functions.get(shortName(f.spec))!.logs),
  );

  // ---- URL answers ----
  const answers = new Map<string, { count: number; errors: number; produced: Map<string, number> }>();
  for (const u of runtime.urls) {
    const counts = { count: 0, errors: 0, produced: new Map<string, number>() };
    answers.set(u.functionName, counts);
    const onAnswer = (a: UrlAnswer) => {
      counts.count++;
      if (a.status >= 400) counts.errors++;
      if (a.status < 200 || a.status >= 300) return;
      const body = safeJson(a.body) as {
        orderId?: unknown;
        topic?: unknown;
        partition?: unknown;
        offset?: unknown;
      };
      if (typeof body?.topic === 'string')
        counts.produced.set(body.topic, (counts.produced.get(body.topic) ?? 0) + 1);
      if (typeof body?.orderId !== 'string') return;
      const answeredAt = a.at + a.durationMs;
      const where = `${String(body.topic)}-${String(body.partition)}@${String(body.offset)}`;
      traces.note(
        body.orderId,
        `${u.functionName} answered`,
        answeredAt,
        `${a.status} in ${a.durationMs} ms: ${where}`,
      );
      // Until a mapping shows the record's own time, the answer is when it was known to be there.
      if (typeof body.topic === 'string') traces.note(body.orderId, `on ${body.topic}`, answeredAt, where);
    };
    u.answers.on('answer', onAnswer);
    cleanups.push(() => u.answers.off('answer', onAnswer));
  }

  // ---- mapping batches ----
  /** When the function that writes the table finished the batch that held each order. */
  const writtenAt = new Map<string, number>();
  const mappings: MappingState[] = runtime.mappings.map((running) => {
    const functionName = names.get(running.spec.functionId)!;
    const state: MappingState = { running, functionName, batches: new Ring(BATCHES_KEPT) };
    const written = new Set(graph.edges.filter((e) => e.kind === 'write' && e.functionName === functionName));
    const onBatch = (b: BatchNotice) => {
      const first = b.records[0];
      const last = b.records[b.records.length - 1];
      state.batches.push({
        at: b.at,
        partition: b.partition,
        firstOffset: first.offset,
        lastOffset: last.offset,
        records: b.records.length,
        bytes: b.bytes,
        durationMs: b.durationMs,
        outcome: b.outcome,
        attempt: b.attempt,
        bisected: b.bisected,
        ...(b.error ? { error: b.error } : {}),
        ...(b.condition ? { condition: b.condition } : {}),
      });
      for (const r of b.records) {
        const orderId = eventOrderId(r);
        if (!orderId) continue;
        traces.note(orderId, `on ${b.topic}`, r.timestamp, `${b.topic}-${r.partition}@${r.offset}`, {
          replace: true,
        });
        traces.note(
          orderId,
          `${functionName} invoked`,
          b.at,
          `attempt ${b.attempt}: ${b.outcome}${b.condition ? ` (${b.condition})` : ''}, ${b.durationMs} ms`,
        );
        if (b.outcome === 'ok' && written.size > 0) {
          writtenAt.set(orderId, b.at + b.durationMs);
          // Bounded like the trace book.
          if (writtenAt.size > 1000) writtenAt.delete(writtenAt.keys().next().value!);
        }
      }
    };
    running.poller.on('batch', onBatch);
    cleanups.push(() => running.poller.off('batch', onBatch));
    return state;
  });

  // ---- dead letters: read when the topic grows ----
  const deadLetters = new Ring<DeadLetter>(DEAD_LETTERS_KEPT);
  const byWriter = new Map<string, number>();
  const reader = dlqTopic ? deadLetterReader(runtime, dlqTopic) : undefined;
  const nextOffsets = new Map<number, number>();
  let dlqSeen = -1;
  let following: Promise<void> | undefined;
  const follow = async () => {
    if (!reader) return;
    const records = runtime.snapshot().topics.find((t) => t.name === dlqTopic)?.records ?? 0;
    if (records === dlqSeen) return;
    for (const partition of await reader.partitions()) {
      const from = nextOffsets.get(partition) ?? (await reader.start(partition));
      // Retention may have removed what was next: start again from what is there.
      const found = await reader
        .read(partition, from, DEAD_LETTERS_KEPT)
        .catch(
          async (error: unknown) => (
            outOfRange(error),
            reader.read(partition, await reader.start(partition), DEAD_LETTERS_KEPT)
          ),
        );
      for (const letter of found) {
        deadLetters.push(letter);
        byWriter.set(letter.writtenBy, (byWriter.get(letter.writtenBy) ?? 0) + 1);
        if (letter.orderId) {
          traces.note(
            letter.orderId,
            `on ${dlqTopic}`,
            letter.timestamp,
            `${dlqTopic}-${letter.partition}@${letter.offset} (${letter.writtenBy}: ${letter.why})`,
          );
        }
      }
      nextOffsets.set(partition, found.length > 0 ? found[found.length - 1].offset + 1 : from);
    }
    dlqSeen = records;
  };

  // ---- samples for rates, once a second ----
  const startRecords = new Map(runtime.snapshot().topics.map((t) => [t.name, t.records] as const));
  const rates = new Map<string, RateWindow>(graph.edges.map((e) => [e.id, new RateWindow(10_000, 1000)]));
  let figures: (e: EdgeShape) => { count: number; errors: number; lag: number | null } = () => ({
    count: 0,
    errors: 0,
    lag: null,
  });
  const tick = () => {
    const now = Date.now();
    const f = edgeFigures();
    for (const e of graph.edges) rates.get(e.id)!.sample(now, f(e).count);
    following ??= follow()
      .catch((error: Error) => log(`console: reading ${dlqTopic}: ${error.message}`))
      .finally(() => (following = undefined));
  };
  const timer = setInterval(tick, 1000);
  timer.unref();

  /** Each edge's figures from the counters and a runtime snapshot. */
  function edgeFigures() {
    const snap = runtime.snapshot();
    const gained = (topic: string) =>
      (snap.topics.find((t) => t.name === topic)?.records ?? 0) - (startRecords.get(topic) ?? 0);
    const deadLetter = new Set(graph.deadLetterTopics);
    const mappingOf = (fn: string, topic?: string) =>
      runtime.mappings.findIndex(
        (m) => names.get(m.spec.functionId) === fn && (!topic || m.spec.topic === topic),
      );
    figures = (e) => {
      switch (e.kind) {
        case 'request': {
          const a = answers.get(e.functionName);
          return { count: a?.count ?? 0, errors: a?.errors ?? 0, lag: null };
        }
        case 'produce': {
          const a = answers.get(e.functionName);
          if (a) return { count: a.produced.get(e.topic!) ?? 0, errors: 0, lag: null };
          if (deadLetter.has(e.topic!))
            return { count: byWriter.get(functionArnName(e.functionName)) ?? 0, errors: 0, lag: null };
          // What the topic gained (with several producers, each edge shows the topic's gain).
          return { count: Math.max(0, gained(e.topic!)), errors: 0, lag: null };
        }
        case 'mapping': {
          const i = mappingOf(e.functionName, e.topic);
          const m = runtime.mappings[i];
          return {
            count: m?.poller.stats.recordsDelivered ?? 0,
            errors: m?.poller.stats.functionErrors ?? 0,
            lag: snap.mappings[i]?.lag ?? 0,
          };
        }
        case 'write': {
          const m = runtime.mappings[mappingOf(e.functionName)];
          return { count: m?.poller.stats.recordsDelivered ?? 0, errors: 0, lag: null };
        }
        case 'on-failure': {
          const m = runtime.mappings[mappingOf(e.functionName)];
          return { count: m?.poller.stats.recordsToDestination ?? 0, errors: 0, lag: null };
        }
      }
    };
    return figures;
  }
  /** Dead letters a function writes itself name it by its deployed name. */
  function functionArnName(short: string): string {
    const f = [...runtime.functions.values()].find((x) => shortName(x.spec) === short);
    return f?.spec.name ?? short;
  }

  let producer: Promise<Producer> | undefined;
  const produceWith = () => {
    producer ??= (async () => {
      const kafka = new Kafka({
        clientId: 'kw-console',
        brokers: runtime.bootstrapServers.split(','),
        logLevel: logLevel.NOTHING,
      });
      const p = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
      await p.connect();
      return p;
    })().catch((error: Error) => {
      producer = undefined;
      throw error;
    });
    return producer;
  };

  return {
    pipeline(): PipelineSnapshot {
      const now = Date.now();
      const snap = runtime.snapshot();
      const f = edgeFigures();
      const topicRecords = new Map(snap.topics.map((t) => [t.name, t.records] as const));
      const nodes = graph.nodes.map((n) => ({ ...n, detail: nodeDetail(n.id) }));
      function nodeDetail(id: string): string {
        const [kind, name] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
        if (kind === 'url') return `${answers.get(name)?.count ?? 0} requests`;
        if (kind === 'topic') return `${topicRecords.get(name) ?? 0} records`;
        if (kind === 'function') {
          const s = snap.functions.find((x) => x.name === name);
          return `${s?.invocations ?? 0} calls, ${s?.errors ?? 0} errors`;
        }
        const writes = graph.edges
          .filter((e) => e.kind === 'write' && e.to === id)
          .reduce((n, e) => n + f(e).count, 0);
        return `${writes} records written`;
      }
      return {
        at: now,
        ingestUrl: runtime.urls[0]?.url ?? null,
        nodes,
        edges: edgesWithFigures(graph.edges, f, (e, count) => rates.get(e.id)!.ratePerSec(now, count)),
        mappings: mappings.map((m, i) => ({
          name: snap.mappings[i]?.name ?? `${m.functionName} ← ${m.running.spec.topic}`,
          functionName: m.functionName,
          topic: m.running.spec.topic,
          group: m.running.spec.consumerGroupId,
          lag: snap.mappings[i]?.lag ?? 0,
          deadLetters: m.running.poller.stats.recordsToDestination,
          batches: m.batches.toArray(),
        })),
        functions: [...runtime.functions.values()].map((fn) => {
          const name = shortName(fn.spec);
          const state = functions.get(name)!;
          return {
            name,
            invocations: fn.pool.stats.invocations,
            errors: fn.pool.stats.errors,
            timeouts: fn.pool.stats.timeouts,
            coldStarts: fn.pool.stats.coldStarts,
            delayMs: fn.pool.delayMs,
            recentInvocations: state.invocations.toArray(),
            recentLogs: state.logs.toArray(),
          };
        }),
        dlq: dlqTopic ? { topic: dlqTopic, records: topicRecords.get(dlqTopic) ?? 0 } : null,
        recentOrders: traces.recent(20),
      };
    },

    async trace(orderId: string): Promise<OrderTrace> {
      if (typeof orderId !== 'string' || !ORDER_ID.test(orderId)) {
        throw new ConsoleRequestError(400, 'an order id is 1 to 64 letters, digits and . _ : @ -');
      }
      for (const table of path.tables) {
        const item = await runtime.dynamodb.client
          .send(
            new GetItemCommand({
              TableName: table,
              Key: { pk: { S: ledgerKeys.order(orderId).pk }, sk: { S: ledgerKeys.order(orderId).sk } },
              ConsistentRead: true,
            }),
          )
          .catch(() => undefined);
        if (item?.Item && !traces.seen(orderId, 'in table')) {
          const total = item.Item.total?.N ?? '?';
          traces.note(
            orderId,
            'in table',
            writtenAt.get(orderId) ?? Date.now(),
            `${table}: ORDER#${orderId}, total ${total}`,
          );
        }
      }
      return traces.trace(
        orderId,
        path.hops,
        path.answeredBy.map((fn) => `${fn} answered`),
      );
    },

    async sendOrders(request: SendOrdersRequest): Promise<SendOrdersResult> {
      const count = request?.count;
      if (!Number.isInteger(count) || count < 1 || count > 1000) {
        throw new ConsoleRequestError(400, 'count must be an integer from 1 to 1000');
      }
      const orders = Array.from({ length: count }, () => randomOrder());
      if (request.poison) {
        const topic = runtime.mappings[0]?.spec.topic;
        if (!topic)
          throw new ConsoleRequestError(404, 'no mapping reads a topic: nowhere to put a poison order');
        const p = await produceWith();
        const sent: SendOrdersResult['sent'][number][] = [];
        for (const order of orders) {
          const [written] = await p.send({
            topic,
            acks: -1,
            messages: [
              {
                key: order.customerId,
                value: poisonOrderValue(order, new Date()),
                headers: { 'order-id': order.orderId, 'content-type': 'application/json' },
              },
            ],
          });
          traces.note(
            order.orderId,
            `on ${topic}`,
            Date.now(),
            `${topic}-${written.partition}@${written.baseOffset} (written by the console: poison)`,
          );
          // Not an HTTP answer: ingest would refuse this order, so it was written to the topic directly.
          sent.push({
            orderId: order.orderId,
            status: 202,
            partition: written.partition,
            offset: Number(written.baseOffset),
          });
        }
        return { sent };
      }
      const url = runtime.urls[0]?.url;
      if (!url) throw new ConsoleRequestError(404, 'the app has no Function URL to send orders to');
      const sent: SendOrdersResult['sent'][number][] = new Array(orders.length);
      // With IAM enforced the URL wants AWS_IAM signatures: the console calls it as the run's caller.
      const sign = runtime.iam && functionUrlSigner(runtime.iam.callerKeys, LOCAL_REGION);
      const contentType = { 'content-type': 'application/json' };
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < orders.length; i = next++) {
          const order = orders[i];
          try {
            const body = JSON.stringify(order);
            const res = await fetch(url, {
              method: 'POST',
              headers: sign ? await sign('POST', new URL(url), contentType, body) : contentType,
              body,
              signal: AbortSignal.timeout(30_000),
            });
            const answer = safeJson(await res.text()) as
              { partition?: number; offset?: number; error?: string; Message?: string } | undefined;
            sent[i] = {
              orderId: order.orderId,
              status: res.status,
              ...(typeof answer?.partition === 'number' ? { partition: answer.partition } : {}),
              ...(typeof answer?.offset === 'number' ? { offset: answer.offset } : {}),
              ...(res.status >= 300 ? { error: answer?.error ?? answer?.Message ?? res.statusText } : {}),
            };
          } catch (error) {
            sent[i] = { orderId: order.orderId, status: 0, error: (error as Error).message };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, orders.length) }, worker));
      return { sent };
    },

    slow(request: SlowRequest): SlowRequest {
      const fn = [...runtime.functions.values()].find((f) => shortName(f.spec) === request?.function);
      if (!fn) throw new ConsoleRequestError(404, `no function named ${String(request?.function)}`);
      const delayMs = request.delayMs;
      if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_DRILL_DELAY_MS) {
        throw new ConsoleRequestError(400, `delayMs must be an integer from 0 to ${MAX_DRILL_DELAY_MS}`);
      }
      fn.pool.delayMs = delayMs;
      log(
        `console: ${request.function} ${delayMs > 0 ? `slowed by ${delayMs} ms` : 'back to its own speed'}`,
      );
      return { function: shortName(fn.spec), delayMs };
    },

    async redrive(request: RedriveRequest): Promise<RedriveResult> {
      if (!reader || !dlqTopic) throw new ConsoleRequestError(404, 'the app has no dead-letter topic');
      const one = request?.partition !== undefined || request?.offset !== undefined;
      let letters: DeadLetter[];
      if (one) {
        const { partition, offset } = request;
        if (!Number.isInteger(partition) || !Number.isInteger(offset) || partition! < 0 || offset! < 0) {
          throw new ConsoleRequestError(400, 'partition and offset must both be integers ≥ 0');
        }
        // A partition the topic lacks would be asked for until it appeared: refuse it first.
        if (!(await reader.partitions()).includes(partition!)) {
          throw new ConsoleRequestError(404, `${dlqTopic} has no partition ${partition}`);
        }
        letters = (await reader.read(partition!, offset!, 1).catch(outOfRange)).filter(
          (l) => l.offset === offset,
        );
        if (letters.length === 0)
          throw new ConsoleRequestError(404, `no dead letter at ${dlqTopic}-${partition}@${offset}`);
      } else {
        letters = [];
        for (const partition of await reader.partitions()) {
          letters.push(
            ...(await reader.read(
              partition,
              await reader.start(partition),
              DEAD_LETTERS_KEPT - letters.length,
            )),
          );
        }
      }
      const p = await produceWith();
      const redriven: RedriveResult['redriven'][number][] = [];
      for (const l of letters) {
        const { original } = l;
        const [written] = await p.send({
          topic: original.topic,
          acks: -1,
          messages: [
            {
              partition: original.partition,
              key: original.key,
              value: original.value,
              headers: Object.fromEntries(original.headers.map((h) => [h.key, h.value])),
            },
          ],
        });
        redriven.push({
          from: { partition: l.partition, offset: l.offset },
          to: { topic: original.topic, partition: written.partition, offset: Number(written.baseOffset) },
        });
      }
      log(`console: redrove ${redriven.length} dead letter(s) from ${dlqTopic}`);
      return { redriven };
    },

    async close(): Promise<void> {
      clearInterval(timer);
      for (const c of cleanups) c();
      for (const t of tails) t.stop();
      await following;
      reader?.close();
      await (await producer?.catch(() => undefined))?.disconnect();
    },
  };
}

/** An offset before the log start or past its end holds nothing: no dead letter there. */
function outOfRange(error: unknown): DeadLetter[] {
  if (error instanceof KafkaResponseError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE) return [];
  throw error;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads a dead-letter topic with the runtime's Kafka reader: fetches only, no group (nothing is
 * committed), so it never shows among the cluster's consumers.
 */
function deadLetterReader(runtime: LocalRuntime, topic: string) {
  const clients = new Set<WireClient>();
  const connections: Connections = {
    open: async (address) => {
      const client = await WireClient.open(address, 'kw-console');
      clients.add(client);
      return client;
    },
    release: (client) => {
      if (!client) return;
      client.close();
      clients.delete(client);
    },
  };
  const cluster = new ClusterView(runtime.bootstrapServers.split(','), connections);
  const stopping = new AbortController();
  const readers = new Map<number, PartitionReader>();
  const readerOf = (partition: number) => {
    let r = readers.get(partition);
    if (!r) {
      r = new PartitionReader({
        topic,
        partition,
        group: 'kw-console',
        cluster,
        connections,
        signal: stopping.signal,
        log: () => undefined,
      });
      readers.set(partition, r);
    }
    return r;
  };
  return {
    async partitions(): Promise<number[]> {
      return [...(await cluster.topic(topic)).partitions.keys()].sort((a, b) => a - b);
    },
    /** Where reading starts: the log start, or the last DEAD_LETTERS_KEPT records. */
    async start(partition: number): Promise<number> {
      const r = readerOf(partition);
      const [low, high] = [await r.listOffset(-2), await r.listOffset(-1)];
      return Math.max(low, high - DEAD_LETTERS_KEPT);
    },
    /** Up to `max` dead letters from `from`, to the end of the partition. */
    async read(partition: number, from: number, max: number): Promise<DeadLetter[]> {
      const r = readerOf(partition);
      const out: DeadLetter[] = [];
      let position = from;
      while (out.length < max) {
        const records = (await r.fetch(position, 0)).filter((x) => x.offset >= position);
        if (records.length === 0) break;
        for (const record of records) {
          const letter = readDeadLetter(partition, record);
          if (letter && out.length < max) out.push(letter);
        }
        position = records[records.length - 1].offset + 1;
      }
      return out;
    },
    close(): void {
      stopping.abort();
      for (const r of readers.values()) r.close();
      cluster.close();
      for (const c of clients) c.close();
    },
  };
}

/**
 * Keeps the newest lines of a log file in `lines`, read every half second from where it was last read
 * (the functions write the file directly; this only reads it).
 */
function tailLines(file: string, lines: Ring<{ at: number; line: string }>): { stop(): void } {
  let position = -1;
  let partial = '';
  let busy = false;
  const read = async () => {
    if (busy) return;
    busy = true;
    try {
      const { size } = await stat(file);
      // The first read starts near the end: the last lines are what the view shows.
      if (position < 0 || size < position) position = Math.max(0, size - 64 * 1024);
      if (size === position) return;
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(Math.min(size - position, 1 << 20));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        position += bytesRead;
        const text = partial + buffer.subarray(0, bytesRead).toString('utf8');
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        const now = Date.now();
        for (const line of parts) if (line.trim()) lines.push({ at: lineTime(line) ?? now, line });
      } finally {
        await handle.close();
      }
    } catch {
      // Not there yet, or gone with the runtime: the next read tries again.
    } finally {
      busy = false;
    }
  };
  void read();
  const timer = setInterval(() => void read(), 500);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The time a structured (Powertools) log line carries. */
function lineTime(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  const t = (safeJson(line) as { timestamp?: unknown } | undefined)?.timestamp;
  const ms = typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}
