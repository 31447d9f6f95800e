/**
 * A small language for Kafka message layouts, so each API's request and response is declared once as
 * data and one generic codec (codec.ts) reads and writes every version of it.
 *
 * The field lists, version ranges, nullability and tags follow Kafka's published message definitions
 * (apache/kafka, clients/src/main/resources/common/message/*.json); the notation is this project's.
 */

/** Scalar wire types. `records` is a nullable byte blob holding record batches. */
export type Primitive =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint16'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

/** An inclusive range of versions; `max` is Infinity for "N+". Empty when min > max. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** Parses "0+", "3-5", "7" or "none". */
export function versions(spec: string): VersionRange {
  if (spec === 'none') return { min: 1, max: 0 };
  const plus = /^(\d+)\+$/.exec(spec);
  if (plus) return { min: Number(plus[1]), max: Infinity };
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(spec)) return { min: Number(spec), max: Number(spec) };
  throw new Error(`invalid version range "${spec}"`);
}

export function inRange(range: VersionRange | undefined, version: number): boolean {
  return range !== undefined && version >= range.min && version <= range.max;
}

/**
 * One field of a message layout. The type parameters exist for the compiler only: `N` is the field's
 * name, `V` the value a decoder yields, `W` what an encoder takes, and `Optional` whether an encoder
 * may leave the field out (it has a declared default, or is tagged and so absent unless set).
 */
export interface Field<N extends string = string, V = unknown, W = V, Optional extends boolean = boolean> {
  readonly name: N;
  /** A primitive, an array of primitives (`[]int32`), a nested struct or an array of structs. */
  readonly kind: 'primitive' | 'array' | 'struct' | 'structArray';
  /** The primitive type, or the element type of a primitive array. */
  readonly type?: Primitive;
  /** Versions in which the field is on the wire (as a regular or tagged field). */
  readonly versions: VersionRange;
  /** Versions in which the field may be null (strings, bytes, arrays, structs). */
  readonly nullableVersions?: VersionRange;
  /** Tag number, for tagged fields. */
  readonly tag?: number;
  /** Versions in which the field is tagged rather than regular. */
  readonly taggedVersions?: VersionRange;
  /** Value when the field is absent from a version or from the tagged section. */
  readonly default?: unknown;
  /** Fields of a struct or of each struct in an array. */
  readonly fields?: readonly Field[];
  /** Never set: carries the decoded and encodable value types and optionality for inference. */
  readonly phantom?: { readonly read: V; readonly write: W; readonly optional: Optional };
}

export interface FieldOptions {
  /** Versions in which the value may be null, e.g. "0+". */
  readonly nullable?: string;
  /** Tag number; give `tagged` too. */
  readonly tag?: number;
  /** Versions in which the field is tagged, e.g. "3+". */
  readonly tagged?: string;
  /** Default when absent (otherwise 0, false, '', [] or null as fits the type). */
  readonly default?: unknown;
}

/**
 * The bytes of a `records` field as an encoder takes them: one buffer, or several chunks (stored
 * batches) written back to back. A decoder always yields one buffer (or null).
 */
export type RecordsValue = Buffer | readonly Buffer[] | null;

/** What each primitive decodes to. */
interface PrimitiveValues {
  bool: boolean;
  int8: number;
  int16: number;
  int32: number;
  int64: bigint;
  uint16: number;
  float64: number;
  string: string;
  bytes: Buffer;
  records: Buffer | null;
  uuid: Buffer;
}

type NullIf<O> = O extends { readonly nullable: string } ? null : never;
type OptionalIf<O> = O extends { readonly default: unknown } | { readonly tag: number } ? true : false;
type ScalarRead<T> = T extends `[]${infer P extends Primitive}`
  ? PrimitiveValues[P][]
  : T extends Primitive
    ? PrimitiveValues[T]
    : never;
type ScalarWrite<T> = T extends 'records' ? RecordsValue : ScalarRead<T>;

/** The decoded form of a list of fields: every field present, typed by its declaration. */
export type ReadFields<Fs extends readonly Field[]> = {
  [F in Fs[number] as F['name']]: F extends Field<string, infer V, unknown> ? V : never;
};

/** What an encoder takes for a list of fields: misspelt names fail, defaulted or tagged ones may be left out. */
export type WriteFields<Fs extends readonly Field[]> = {
  [F in Fs[number] as F extends Field<string, unknown, unknown, false> ? F['name'] : never]: F extends Field<
    string,
    unknown,
    infer W
  >
    ? W
    : never;
} & {
  [F in Fs[number] as F extends Field<string, unknown, unknown, false> ? never : F['name']]?: F extends Field<
    string,
    unknown,
    infer W
  >
    ? W
    : never;
};

function withOptions<F extends Field>(
  base: Omit<Field, 'nullableVersions' | 'tag' | 'taggedVersions' | 'default'>,
  options: FieldOptions,
): F {
  // The declared types live only in the phantom parameters, so this one assertion is where they attach.
  return {
    ...base,
    nullableVersions: options.nullable ? versions(options.nullable) : undefined,
    tag: options.tag,
    taggedVersions: options.tagged ? versions(options.tagged) : undefined,
    default: options.default,
  } as F;
}

/** A scalar field, or an array of scalars when `type` starts with `[]`. */
export function field<
  const N extends string,
  const T extends Primitive | `[]${Primitive}`,
  const O extends FieldOptions = FieldOptions,
>(
  name: N,
  type: T,
  versionSpec: string,
  options?: O,
): Field<N, ScalarRead<T> | NullIf<O>, ScalarWrite<T> | NullIf<O>, OptionalIf<O>> {
  const isArray = type.startsWith('[]');
  return withOptions(
    {
      name,
      kind: isArray ? 'array' : 'primitive',
      type: (isArray ? type.slice(2) : type) as Primitive,
      versions: versions(versionSpec),
    },
    options ?? {},
  );
}

/** An array of structs. */
export function structs<
  const N extends string,
  const Fs extends readonly Field[],
  const O extends FieldOptions = FieldOptions,
>(
  name: N,
  versionSpec: string,
  fields: Fs,
  options?: O,
): Field<N, ReadFields<Fs>[] | NullIf<O>, WriteFields<Fs>[] | NullIf<O>, OptionalIf<O>> {
  return withOptions({ name, kind: 'structArray', versions: versions(versionSpec), fields }, options ?? {});
}

/** A single nested struct. */
export function struct<
  const N extends string,
  const Fs extends readonly Field[],
  const O extends FieldOptions = FieldOptions,
>(
  name: N,
  versionSpec: string,
  fields: Fs,
  options?: O,
): Field<N, ReadFields<Fs> | NullIf<O>, WriteFields<Fs> | NullIf<O>, OptionalIf<O>> {
  return withOptions({ name, kind: 'struct', versions: versions(versionSpec), fields }, options ?? {});
}

export interface MessageSchema<Fs extends readonly Field[] = readonly Field[]> {
  readonly name: string;
  readonly apiKey: number;
  readonly validVersions: VersionRange;
  /** Versions using compact types and tagged fields. */
  readonly flexibleVersions: VersionRange;
  readonly fields: Fs;
}

/** Declares a request or response layout. */
export function message<const Fs extends readonly Field[]>(spec: {
  name: string;
  apiKey: number;
  valid: string;
  flexible: string;
  fields: Fs;
}): MessageSchema<Fs> {
  return {
    name: spec.name,
    apiKey: spec.apiKey,
    validVersions: versions(spec.valid),
    flexibleVersions: versions(spec.flexible),
    fields: spec.fields,
  };
}

/** A request layout and its response layout. */
export interface ApiSchema<
  Req extends MessageSchema = MessageSchema,
  Res extends MessageSchema = MessageSchema,
> {
  readonly request: Req;
  readonly response: Res;
}

/** A decoded message of `M`. */
export type MessageOf<M extends MessageSchema> = M extends MessageSchema<infer Fs> ? ReadFields<Fs> : never;
/** What an encoder of `M` takes. */
export type MessageInput<M extends MessageSchema> =
  M extends MessageSchema<infer Fs> ? WriteFields<Fs> : never;

/** The request a handler of `S` reads. */
export type RequestOf<S extends ApiSchema> = MessageOf<S['request']>;
/** The response a handler of `S` returns. */
export type ResponseInput<S extends ApiSchema> = MessageInput<S['response']>;
/** The response a client of `S` reads. */
export type ResponseOf<S extends ApiSchema> = MessageOf<S['response']>;
/** `T` with every field, at every depth, optional: what a client may leave to the defaults. */
type Loose<T> = T extends Buffer | bigint | string | number | boolean | null
  ? T
  : T extends readonly (infer E)[]
    ? Loose<E>[]
    : { [K in keyof T]?: Loose<T[K]> };

/** The request a client of `S` sends; any field, at any depth, may be left to its default. */
export type RequestInput<S extends ApiSchema> = Loose<MessageInput<S['request']>>;
