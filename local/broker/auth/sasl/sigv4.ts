/**
 * SigV4 recomputed offline for a presigned `GET /` with only the host header signed, as every MSK IAM
 * signer produces it (the canonical request and string to sign of msk-iam.md §4, checked against
 * aws-msk-iam-sasl-signer-js and kafka-python's signer).
 */
import { createHash, createHmac } from 'node:crypto';

/** RFC 3986 encoding: everything but unreserved characters as %XX (encodeURIComponent leaves !'()*). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer | string, text: string): Buffer =>
  createHmac('sha256', key).update(text, 'utf8').digest();

/** The canonical query string: every signed parameter, encoded, sorted by encoded name then value. */
export function canonicalQuery(params: ReadonlyMap<string, string>): string {
  return [...params]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** What a presigned Connect request's signature is made from. */
export interface SigningInput {
  readonly host: string;
  readonly params: ReadonlyMap<string, string>;
  /** X-Amz-Date, `yyyyMMddTHHmmssZ`. */
  readonly amzDate: string;
  /** The credential scope's parts: `yyyyMMdd`, region, service. */
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly secretAccessKey: string;
}

/** The hex signature a signer holding `secretAccessKey` would have produced. */
export function presignedSignature(input: SigningInput): string {
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery(input.params),
    `host:${input.host}`,
    '',
    'host',
    sha256Hex(''),
  ].join('\n');
  const scope = `${input.date}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${input.secretAccessKey}`, input.date);
  key = hmac(key, input.region);
  key = hmac(key, input.service);
  key = hmac(key, 'aws4_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}
