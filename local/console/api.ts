/**
 * The console's HTTP API: the JSON every route answers and the two sources the server reads.
 *
 * The server (server/) turns requests into calls on a ClusterSource (kafka/: the cluster over the
 * Kafka protocol, plus what only an in-process embedded broker knows) and, under `kw up`, a
 * PipelineSource (pipeline/: the local runtime's functions, mappings and URL). The page (page/) reads
 * the same shapes; `GET /api/live` pushes them as Server-Sent Events.
 *
 * Routes (every POST needs the `X-KW-Token` header and a JSON body; see server/README):
 *   GET  /api/info                                   ConsoleInfo
 *   GET  /api/cluster                                ClusterSnapshot
 *   POST /api/topics                                 CreateTopicRequest → {name}
 *   GET  /api/topics/:topic/configs                  TopicConfig[]
 *   POST /api/topics/:topic/delete                   {} → {deleted}
 *   POST /api/topics/:topic/partitions               {count} → {partitions}
 *   GET  /api/topics/:topic/partitions/:p/tape       PartitionTape
 *   GET  /api/topics/:topic/messages?…               BrowseQuery → MessagePage
 *   POST /api/topics/:topic/messages                 ProduceRequest → ProduceResult
 *   POST /api/topics/:topic/copy                     CopyRequest → CopyResult
 *   GET  /api/groups                                 GroupSummary[]
 *   GET  /api/groups/:group                          GroupDetail
 *   POST /api/groups/:group/reset-offsets            ResetRequest → ResetResult
 *   POST /api/brokers/:id/stop | start               {} → BrokerActionResult
 *   GET  /api/pipeline                               PipelineSnapshot
 *   GET  /api/pipeline/trace/:orderId                OrderTrace
 *   POST /api/pipeline/orders                        SendOrdersRequest → SendOrdersResult
 *   POST /api/pipeline/slow                          SlowRequest → SlowRequest
 *   POST /api/pipeline/dlq/redrive                   RedriveRequest → RedriveResult
 *   GET  /api/live?view=…&view=…                     text/event-stream of LiveView snapshots
 */

/** A bad request the caller can fix (400), a missing thing (404) or a refused change (409). */
export class ConsoleRequestError extends Error {
  public override readonly name = 'ConsoleRequestError';

  constructor(
    readonly status: 400 | 404 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface ConsoleInfo {
  /** broker: `kw broker`; pipeline: `kw up` (the pipeline routes answer). */
  readonly mode: 'broker' | 'pipeline';
  readonly bootstrapServers: string;
  readonly clusterId: string;
  /** Whether brokers can be stopped and started from the page (an embedded cluster in this process). */
  readonly controllable: boolean;
  /** The ingest Function URL under `kw up`. */
  readonly ingestUrl?: string;
}

// ---- cluster ----------------------------------------------------------------------------------

export interface BrokerView {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** up: answering; paused: frozen (requests held); down: stopped or gone from Metadata. */
  readonly state: 'up' | 'paused' | 'down';
  /** Partitions this broker leads. */
  readonly leaderOf: number;
  /** Partitions with a replica on this broker. */
  readonly replicaOf: number;
}

export interface PartitionView {
  readonly partition: number;
  /** -1 while the partition has no leader (offline). */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** Bytes on the leader's log; null when the cluster does not say (an existing cluster). */
  readonly sizeInBytes: number | null;
}

export interface TopicView {
  readonly name: string;
  readonly internal: boolean;
  readonly partitions: readonly PartitionView[];
  /** Sum over partitions of highWatermark - logStartOffset. */
  readonly records: number;
  readonly sizeInBytes: number | null;
}

export interface ClusterSnapshot {
  /** When it was read (ms since the epoch). */
  readonly at: number;
  readonly clusterId: string;
  readonly controllable: boolean;
  readonly brokers: readonly BrokerView[];
  readonly topics: readonly TopicView[];
}

export interface CreateTopicRequest {
  readonly name: string;
  readonly partitions: number;
  /** Default: the cluster's default. */
  readonly replicationFactor?: number;
  readonly configs?: Readonly<Record<string, string>>;
}

export interface TopicConfig {
  readonly name: string;
  readonly value: string | null;
  /** Whether it is set on the topic (false: a broker or built-in default). */
  readonly isDefault: boolean;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
}

// ---- records ----------------------------------------------------------------------------------

/** Bytes as the page shows them: always text, never markup. */
export interface DecodedBytes {
  /** json: valid JSON, `text` pretty-printed; text: UTF-8 text; hex: anything else, `text` in hex. */
  readonly encoding: 'json' | 'text' | 'hex';
  readonly text: string;
  /** Size of the original bytes. */
  readonly size: number;
  /** Whether `text` was cut short (very large values). */
  readonly truncated: boolean;
}

export interface MessageRecord {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: DecodedBytes | null;
  readonly value: DecodedBytes | null;
  readonly headers: readonly { readonly key: string; readonly value: DecodedBytes | null }[];
}

/**
 * Query string of GET /api/topics/:topic/messages. Reads one page, never the whole log: at most
 * `limit` records come back, and a search reads at most 10,000 records per request (`cursor` goes on).
 */
export interface BrowseQuery {
  /** One partition; all when absent. */
  readonly partition?: number;
  /** end (default): the newest records; beginning; offset: from `offset`; timestamp: from `timestamp`. */
  readonly from?: 'end' | 'beginning' | 'offset' | 'timestamp';
  readonly offset?: number;
  /** ms since the epoch. */
  readonly timestamp?: number;
  /** Default 50, at most 500. */
  readonly limit?: number;
  /** Text looked for (case-insensitive) in the key and the value. */
  readonly search?: string;
  /** From a previous page's `cursor`: the next page of the same query. */
  readonly cursor?: string;
}

export interface MessagePage {
  readonly topic: string;
  /** Oldest first within a partition; across partitions ordered by timestamp. */
  readonly records: readonly MessageRecord[];
  /** Records read to make this page (a search reads more than it returns). */
  readonly scanned: number;
  /** Where the next page starts; null at the end of the log. */
  readonly cursor: string | null;
  readonly partitions: readonly { partition: number; logStartOffset: number; highWatermark: number }[];
}

export interface ProduceRequest {
  readonly key?: string | null;
  readonly value: string | null;
  readonly headers?: readonly { readonly key: string; readonly value: string }[];
  /** Default: by key, as the default partitioner. */
  readonly partition?: number;
}

export interface ProduceResult {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Copies records (key, value, headers as they are) to another topic: a redrive. */
export interface CopyRequest {
  readonly to: string;
  readonly records: readonly { readonly partition: number; readonly offset: number }[];
}

export interface CopyResult {
  readonly copied: readonly (ProduceResult & { readonly from: { partition: number; offset: number } })[];
}

/** A partition as a tape: where it starts and ends, where each group is, what just arrived. */
export interface PartitionTape {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  readonly groups: readonly { readonly groupId: string; readonly committed: number }[];
  /** The newest records (at most 20), oldest first. */
  readonly recent: readonly MessageRecord[];
}

// ---- groups -----------------------------------------------------------------------------------

export interface GroupSummary {
  readonly groupId: string;
  /** Kafka's group state: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead. */
  readonly state: string;
  readonly protocolType: string;
  readonly members: number;
  readonly topics: readonly string[];
  readonly lag: number;
}

export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly assignment: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

export interface GroupOffset {
  readonly topic: string;
  readonly partition: number;
  /** null: nothing committed. */
  readonly committed: number | null;
  readonly highWatermark: number;
  readonly lag: number;
}

/** One sample of a group's lag; taken once a second, the last 10 minutes kept. */
export interface LagSample {
  readonly at: number;
  readonly lag: number;
  /** By `topic-partition`. */
  readonly partitions: Readonly<Record<string, number>>;
}

/** A change of a group's generation or assignment, as seen by the once-a-second sampler. */
export interface RebalanceEvent {
  readonly at: number;
  /** null when the cluster does not say (DescribeGroups carries none; the embedded broker does). */
  readonly generation: number | null;
  readonly state: string;
  readonly members: readonly {
    readonly memberId: string;
    readonly clientId: string;
    readonly partitions: readonly string[];
  }[];
}

export interface GroupDetail extends GroupSummary {
  readonly protocol: string;
  readonly generation: number | null;
  readonly memberList: readonly GroupMember[];
  readonly offsets: readonly GroupOffset[];
  readonly lagHistory: readonly LagSample[];
  /** Newest last, at most 50. */
  readonly rebalances: readonly RebalanceEvent[];
  /** Offsets can be reset only while no consumer is in the group (Empty or Dead). */
  readonly canReset: boolean;
}

export interface ResetRequest {
  readonly topic: string;
  readonly to: 'earliest' | 'latest' | 'offset' | 'timestamp';
  readonly offset?: number;
  readonly timestamp?: number;
  /** Every partition of the topic when absent. */
  readonly partition?: number;
}

export interface ResetResult {
  readonly offsets: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly before: number | null;
    readonly after: number;
  }[];
}

export interface BrokerActionResult {
  readonly nodeId: number;
  readonly action: 'stop' | 'start';
  /** Partitions whose leader moved: before and after. */
  readonly leaderChanges: readonly { topic: string; partition: number; before: number; after: number }[];
}

// ---- pipeline (kw up) -------------------------------------------------------------------------

export interface PipelineNode {
  /** Stable: `url:<name>`, `function:<short name>`, `topic:<name>`, `table:<name>`. */
  readonly id: string;
  readonly kind: 'url' | 'function' | 'topic' | 'table';
  readonly label: string;
  /** A short figure line under the label (records on a topic, items in a table...). */
  readonly detail: string;
  /** Dead-letter topics and on-failure destinations. */
  readonly deadLetter: boolean;
}

export interface PipelineEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** request: URL → function; produce: function → topic; mapping: topic → function; write: function → table; on-failure. */
  readonly kind: 'request' | 'produce' | 'mapping' | 'write' | 'on-failure';
  /** Records or calls across the edge since start. */
  readonly count: number;
  /** Over the last 10 s. */
  readonly ratePerSec: number;
  readonly errors: number;
  /** Mapping edges: the group's lag. */
  readonly lag: number | null;
}

export interface BatchView {
  readonly at: number;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly records: number;
  readonly bytes: number;
  readonly durationMs: number;
  /** ok; error (will be retried); partial (batchItemFailures); dead-letter (sent to the destination); dropped. */
  readonly outcome: 'ok' | 'error' | 'partial' | 'dead-letter' | 'dropped';
  /** 1 for the first invocation of these records. */
  readonly attempt: number;
  /** A half of a bisected batch. */
  readonly bisected: boolean;
  readonly error?: string;
  /** Dead letters: why (RetryAttemptsExhausted, RecordAgeExceeded, MaximumPayloadSizeExceeded). */
  readonly condition?: string;
}

export interface MappingView {
  /** `<function short name> ← <topic>`. */
  readonly name: string;
  readonly functionName: string;
  readonly topic: string;
  readonly group: string;
  readonly lag: number;
  readonly deadLetters: number;
  /** Newest last, at most 50. */
  readonly batches: readonly BatchView[];
}

export interface FunctionView {
  /** The short name (ingest, enrich, ledger). */
  readonly name: string;
  readonly invocations: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly coldStarts: number;
  /** Extra delay before each invocation set by the slow drill (0: none). */
  readonly delayMs: number;
  /** Newest last, at most 50. */
  readonly recentInvocations: readonly {
    readonly at: number;
    readonly durationMs: number;
    readonly ok: boolean;
    readonly coldStart: boolean;
    readonly error?: string;
  }[];
  /** Newest last, at most 100. */
  readonly recentLogs: readonly { readonly at: number; readonly line: string }[];
}

export interface PipelineSnapshot {
  readonly at: number;
  readonly ingestUrl: string | null;
  readonly nodes: readonly PipelineNode[];
  readonly edges: readonly PipelineEdge[];
  readonly mappings: readonly MappingView[];
  readonly functions: readonly FunctionView[];
  /** The on-failure topic and how many records it holds; null without one. */
  readonly dlq: { readonly topic: string; readonly records: number } | null;
  /** Newest orders seen (at most 20), for the trace picker. */
  readonly recentOrders: readonly string[];
}

export interface TraceHop {
  /** What happened: `ingest answered`, `on orders`, `enrich invoked`, `on orders.enriched`, `ledger invoked`, `in table`, `on orders.dlq`. */
  readonly name: string;
  /** null: not (yet) seen. */
  readonly at: number | null;
  /** Since the previous seen hop. */
  readonly ms: number | null;
  /** topic-partition@offset, status code, table key... */
  readonly detail: string;
}

export interface OrderTrace {
  readonly orderId: string;
  readonly hops: readonly TraceHop[];
  /** ms from the ingest request to the last hop seen. */
  readonly totalMs: number | null;
}

export interface SendOrdersRequest {
  /** 1 to 1000. */
  readonly count: number;
  /** An order enrich rejects every time (it ends on the dead-letter topic). */
  readonly poison?: boolean;
}

export interface SendOrdersResult {
  readonly sent: readonly {
    readonly orderId: string;
    readonly status: number;
    readonly partition?: number;
    readonly offset?: number;
    readonly error?: string;
  }[];
}

export interface SlowRequest {
  /** A function's short name. */
  readonly function: string;
  /** 0 to 30,000; 0 ends the drill. */
  readonly delayMs: number;
}

/** Sends dead letters' original records back to the topic they came from. */
export interface RedriveRequest {
  /** One dead letter; every one on the dead-letter topic (at most 1,000) when absent. */
  readonly partition?: number;
  readonly offset?: number;
}

export interface RedriveResult {
  readonly redriven: readonly {
    readonly from: { partition: number; offset: number };
    readonly to: ProduceResult;
  }[];
}

// ---- sources ----------------------------------------------------------------------------------

/** The cluster, for the console (kafka/cluster-source.ts). Bad input throws ConsoleRequestError. */
export interface ClusterSource {
  readonly bootstrapServers: string;
  readonly controllable: boolean;
  cluster(): Promise<ClusterSnapshot>;
  topicConfigs(topic: string): Promise<TopicConfig[]>;
  createTopic(request: CreateTopicRequest): Promise<void>;
  deleteTopic(topic: string): Promise<void>;
  addPartitions(topic: string, count: number): Promise<void>;
  tape(topic: string, partition: number): Promise<PartitionTape>;
  browse(topic: string, query: BrowseQuery): Promise<MessagePage>;
  produce(topic: string, request: ProduceRequest): Promise<ProduceResult>;
  copy(topic: string, request: CopyRequest): Promise<CopyResult>;
  groups(): Promise<GroupSummary[]>;
  group(groupId: string): Promise<GroupDetail>;
  resetOffsets(groupId: string, request: ResetRequest): Promise<ResetResult>;
  /** Only when `controllable`; otherwise throws ConsoleRequestError(404). */
  brokerAction(nodeId: number, action: 'stop' | 'start'): Promise<BrokerActionResult>;
  close(): Promise<void>;
}

/** The local runtime's pipeline, for the console under `kw up` (pipeline/pipeline-source.ts). */
export interface PipelineSource {
  pipeline(): PipelineSnapshot;
  trace(orderId: string): Promise<OrderTrace>;
  sendOrders(request: SendOrdersRequest): Promise<SendOrdersResult>;
  slow(request: SlowRequest): SlowRequest;
  redrive(request: RedriveRequest): Promise<RedriveResult>;
  close(): Promise<void>;
}

/**
 * What `GET /api/live?view=…` streams: each view named in the query, sent once on connect and then
 * whenever it changed, at most once a second. The SSE event name is the view; data is the JSON above.
 *   cluster → ClusterSnapshot; groups → GroupSummary[]; group:<id> → GroupDetail;
 *   tape:<topic>:<partition> → PartitionTape; pipeline → PipelineSnapshot.
 */
export type LiveView = 'cluster' | 'groups' | 'pipeline' | `group:${string}` | `tape:${string}:${number}`;
