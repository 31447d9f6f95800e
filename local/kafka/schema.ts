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

export interface Field {
  readonly name: string;
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

function withOptions(
  base: Omit<Field, 'nullableVersions' | 'tag' | 'taggedVersions' | 'default'>,
  options: FieldOptions,
): Field {
  return {
    ...base,
    nullableVersions: options.nullable ? versions(options.nullable) : undefined,
    tag: options.tag,
    taggedVersions: options.tagged ? versions(options.tagged) : undefined,
    default: options.default,
  };
}

/** A scalar field, or an array of scalars when `type` starts with `[]`. */
export function field(
  name: string,
  type: Primitive | `[]${Primitive}`,
  versionSpec: string,
  options: FieldOptions = {},
): Field {
  const isArray = type.startsWith('[]');
  return withOptions(
    {
      name,
      kind: isArray ? 'array' : 'primitive',
      type: (isArray ? type.slice(2) : type) as Primitive,
      versions: versions(versionSpec),
    },
    options,
  );
}

/** An array of structs. */
export function structs(
  name: string,
  versionSpec: string,
  fields: Field[],
  options: FieldOptions = {},
): Field {
  return withOptions({ name, kind: 'structArray', versions: versions(versionSpec), fields }, options);
}

/** A single nested struct. */
export function struct(
  name: string,
  versionSpec: string,
  fields: Field[],
  options: FieldOptions = {},
): Field {
  return withOptions({ name, kind: 'struct', versions: versions(versionSpec), fields }, options);
}

export interface MessageSchema {
  readonly name: string;
  readonly apiKey: number;
  readonly validVersions: VersionRange;
  /** Versions using compact types and tagged fields. */
  readonly flexibleVersions: VersionRange;
  readonly fields: readonly Field[];
}

/** Declares a request or response layout. */
export function message(spec: {
  name: string;
  apiKey: number;
  valid: string;
  flexible: string;
  fields: Field[];
}): MessageSchema {
  return {
    name: spec.name,
    apiKey: spec.apiKey,
    validVersions: versions(spec.valid),
    flexibleVersions: versions(spec.flexible),
    fields: spec.fields,
  };
}

/** A request layout and its response layout. */
export interface ApiSchema {
  readonly request: MessageSchema;
  readonly response: MessageSchema;
}
