/**
 * The pipeline as a graph, from what the cloud assembly declares: Function URL → function → topic →
 * mapping → function → table, with on-failure edges to dead-letter topics. Pure: the source feeds it
 * the assembly's parts and, once a second, the figures; nothing here does I/O.
 *
 * Which function produces to which topic is not a property of a Lambda function; the template says it
 * through IAM: each function's role is granted `kafka-cluster:WriteData` on the topics it writes
 * (produceGrants reads those grants). A template without such grants (a self-managed cluster, which
 * has no IAM) falls back to the topics named in the function's environment, less those it reads
 * through a mapping: a guess that can show an edge the code never uses.
 */
import type { PipelineEdge, PipelineNode } from '../api';

export interface GraphFunction {
  /** `stack/logicalId`, as the assembly names it. */
  readonly id: string;
  /** The short name (ingest, enrich, ledger). */
  readonly name: string;
  readonly environment: Readonly<Record<string, string>>;
}

export interface GraphMapping {
  /** The function's short name. */
  readonly functionName: string;
  readonly topic: string;
  /** A Kafka on-failure destination's topic. */
  readonly onFailureTopic?: string;
}

export interface GraphInput {
  readonly functions: readonly GraphFunction[];
  /** Short names of the functions with a Function URL. */
  readonly urls: readonly string[];
  readonly topics: readonly string[];
  readonly tables: readonly string[];
  readonly mappings: readonly GraphMapping[];
  /** function short name → topics its role may write, when the template grants any. */
  readonly produceGrants?: ReadonlyMap<string, readonly string[]>;
}

export type EdgeKind = PipelineEdge['kind'];

/** An edge before its figures. */
export interface EdgeShape {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  /** For produce, mapping and write edges: the function's short name; on-failure: the mapping's function. */
  readonly functionName: string;
  /** For produce, mapping and on-failure edges. */
  readonly topic?: string;
}

export interface Topology {
  readonly nodes: readonly Omit<PipelineNode, 'detail'>[];
  readonly edges: readonly EdgeShape[];
  /** Topics that take dead letters: on-failure destinations and `*dlq*` / `*dead-letter*` names. */
  readonly deadLetterTopics: readonly string[];
}

const DEAD_LETTER_NAME = /(^|[.\-_])(dlq|dead-?letters?)($|[.\-_])/i;

export const nodeId = {
  url: (fn: string) => `url:${fn}`,
  function: (fn: string) => `function:${fn}`,
  topic: (topic: string) => `topic:${topic}`,
  table: (table: string) => `table:${table}`,
};

/** The nodes and edges, in the order the page lays them out (left to right along the flow). */
export function topology(input: GraphInput): Topology {
  const deadLetterTopics = [
    ...new Set([
      ...input.mappings.flatMap((m) => (m.onFailureTopic ? [m.onFailureTopic] : [])),
      ...input.topics.filter((t) => DEAD_LETTER_NAME.test(t)),
    ]),
  ];
  const known = new Set(input.topics);
  const reads = new Map<string, Set<string>>();
  for (const m of input.mappings)
    reads.set(m.functionName, (reads.get(m.functionName) ?? new Set()).add(m.topic));

  const nodes: Omit<PipelineNode, 'detail'>[] = [];
  const edges: EdgeShape[] = [];
  const edge = (e: Omit<EdgeShape, 'id'>) => edges.push({ ...e, id: `${e.from}->${e.to}` });

  for (const fn of input.urls) {
    nodes.push({ id: nodeId.url(fn), kind: 'url', label: `${fn} URL`, deadLetter: false });
    edge({ from: nodeId.url(fn), to: nodeId.function(fn), kind: 'request', functionName: fn });
  }
  for (const fn of input.functions) {
    nodes.push({ id: nodeId.function(fn.name), kind: 'function', label: fn.name, deadLetter: false });
  }
  for (const topic of input.topics) {
    nodes.push({
      id: nodeId.topic(topic),
      kind: 'topic',
      label: topic,
      deadLetter: deadLetterTopics.includes(topic),
    });
  }
  for (const table of input.tables) {
    nodes.push({ id: nodeId.table(table), kind: 'table', label: table, deadLetter: false });
  }
  for (const fn of input.functions) {
    for (const topic of producedTopics(fn, input, reads.get(fn.name) ?? new Set(), known)) {
      edge({
        from: nodeId.function(fn.name),
        to: nodeId.topic(topic),
        kind: 'produce',
        functionName: fn.name,
        topic,
      });
    }
  }
  for (const m of input.mappings) {
    edge({
      from: nodeId.topic(m.topic),
      to: nodeId.function(m.functionName),
      kind: 'mapping',
      functionName: m.functionName,
      topic: m.topic,
    });
    if (m.onFailureTopic) {
      edge({
        from: nodeId.function(m.functionName),
        to: nodeId.topic(m.onFailureTopic),
        kind: 'on-failure',
        functionName: m.functionName,
        topic: m.onFailureTopic,
      });
    }
  }
  for (const fn of input.functions) {
    // A table whose name the function is given (LEDGER_TABLE_NAME...) is one it writes.
    const named = new Set(Object.values(fn.environment));
    for (const table of input.tables) {
      if (named.has(table)) {
        edge({
          from: nodeId.function(fn.name),
          to: nodeId.table(table),
          kind: 'write',
          functionName: fn.name,
        });
      }
    }
  }
  // An on-failure edge and a produce edge between the same nodes would share an id: keep both apart.
  const seen = new Map<string, number>();
  const unique = edges.map((e) => {
    const n = seen.get(e.id) ?? 0;
    seen.set(e.id, n + 1);
    return n === 0 ? e : { ...e, id: `${e.id}:${e.kind}` };
  });
  // Functions nothing invokes and that write nowhere (a custom resource's handler) stay off the graph.
  const linked = new Set(unique.flatMap((e) => [e.from, e.to]));
  return {
    nodes: nodes.filter((n) => n.kind !== 'function' || linked.has(n.id)),
    edges: unique,
    deadLetterTopics,
  };
}

function producedTopics(
  fn: GraphFunction,
  input: GraphInput,
  reads: ReadonlySet<string>,
  known: ReadonlySet<string>,
): string[] {
  const granted = input.produceGrants?.get(fn.name);
  if (input.produceGrants && input.produceGrants.size > 0) return (granted ?? []).filter((t) => known.has(t));
  return [...new Set(Object.values(fn.environment))].filter((v) => known.has(v) && !reads.has(v));
}

// ---- produce grants from the template -----------------------------------------------------------

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/**
 * Topics each function's role may write (`kafka-cluster:WriteData`), by function id (`stack/logicalId`).
 * A grant's resource is a topic ARN, `arn:…:topic/<cluster>/<uuid>/<topic>`, usually built with
 * Fn::Join: the topic is what follows the last `/` of its last literal part. A wildcard names no topic.
 */
export function produceGrants(
  stacks: readonly {
    readonly name: string;
    readonly template: { readonly Resources?: Record<string, Resource> };
  }[],
): Map<string, string[]> {
  const grants = new Map<string, string[]>();
  for (const { name: stack, template } of stacks) {
    const resources = template.Resources ?? {};
    const topicsByRole = new Map<string, string[]>();
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const doc = r.Properties?.PolicyDocument as { Statement?: unknown[] } | undefined;
      const topics: string[] = [];
      for (const s of doc?.Statement ?? []) {
        const statement = s as { Effect?: string; Action?: unknown; Resource?: unknown };
        const actions = ([] as unknown[]).concat(statement.Action ?? []);
        if (statement.Effect === 'Deny' || !actions.includes('kafka-cluster:WriteData')) continue;
        for (const resource of ([] as unknown[]).concat(statement.Resource ?? [])) {
          const topic = topicOfArn(resource);
          if (topic) topics.push(topic);
        }
      }
      if (topics.length === 0) continue;
      for (const role of (r.Properties?.Roles as unknown[] | undefined) ?? []) {
        const ref = (role as { Ref?: unknown })?.Ref;
        if (typeof ref === 'string') topicsByRole.set(ref, [...(topicsByRole.get(ref) ?? []), ...topics]);
      }
    }
    for (const [logicalId, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::Lambda::Function') continue;
      const role = r.Properties?.Role as { 'Fn::GetAtt'?: unknown[] } | undefined;
      const roleId = Array.isArray(role?.['Fn::GetAtt']) ? String(role['Fn::GetAtt'][0]) : undefined;
      const topics = roleId ? topicsByRole.get(roleId) : undefined;
      if (topics) grants.set(`${stack}/${logicalId}`, [...new Set(topics)]);
    }
  }
  return grants;
}

function topicOfArn(resource: unknown): string | undefined {
  let last: unknown = resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) last = join[1][join[1].length - 1];
  if (typeof last !== 'string' || !last.includes('/')) return undefined;
  const topic = last.slice(last.lastIndexOf('/') + 1);
  return topic && !topic.includes('*') ? topic : undefined;
}

// ---- figures --------------------------------------------------------------------------------------

/** An edge's figures at a moment; the rate comes from the source's samples. */
export interface EdgeFigures {
  readonly count: number;
  readonly errors: number;
  readonly lag: number | null;
}

/** The edges with their figures. */
export function edgesWithFigures(
  shapes: readonly EdgeShape[],
  figures: (edge: EdgeShape) => EdgeFigures,
  rate: (edge: EdgeShape, count: number) => number,
): PipelineEdge[] {
  return shapes.map((e) => {
    const f = figures(e);
    return {
      id: e.id,
      from: e.from,
      to: e.to,
      kind: e.kind,
      count: f.count,
      ratePerSec: Math.round(rate(e, f.count) * 10) / 10,
      errors: f.errors,
      lag: e.kind === 'mapping' ? f.lag : null,
    };
  });
}

/**
 * The hops an order makes along the main path, in time order: from each URL's function through the
 * topics it produces to (dead-letter topics aside), the functions their mappings invoke, and so on to
 * the tables. Names as the trace shows them: `on orders`, `ingest answered`, `enrich invoked`...
 */
export function tracePath(t: Topology): { hops: string[]; answeredBy: string[]; tables: string[] } {
  const hops: string[] = [];
  const answeredBy: string[] = [];
  const tables: string[] = [];
  const deadLetter = new Set(t.deadLetterTopics);
  const visited = new Set<string>();
  const visit = (fn: string, viaUrl: boolean) => {
    if (visited.has(fn)) return;
    visited.add(fn);
    const produced = t.edges.filter(
      (e) => e.kind === 'produce' && e.functionName === fn && !deadLetter.has(e.topic!),
    );
    if (viaUrl) {
      // The record is on the topic before the function answers (it answers once the write is acknowledged).
      for (const e of produced) hops.push(`on ${e.topic}`);
      hops.push(`${fn} answered`);
      answeredBy.push(fn);
    } else {
      hops.push(`${fn} invoked`);
      for (const e of produced) hops.push(`on ${e.topic}`);
    }
    for (const w of t.edges.filter((e) => e.kind === 'write' && e.functionName === fn)) {
      const table = w.to.slice('table:'.length);
      // One table in this pipeline: `in table`, its name in the hop's detail.
      if (!hops.includes('in table')) hops.push('in table');
      tables.push(table);
    }
    for (const e of produced) {
      for (const m of t.edges.filter((x) => x.kind === 'mapping' && x.topic === e.topic))
        visit(m.functionName, false);
    }
  };
  for (const e of t.edges.filter((x) => x.kind === 'request')) visit(e.functionName, true);
  return { hops, answeredBy, tables };
}
