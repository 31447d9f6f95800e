/**
 * SigV4 verification of a Function URL request whose AuthType is AWS_IAM (service `lambda`), in the
 * Authorization header form (what `curl --aws-sigv4 "aws:amz:REGION:lambda"` and the SDK's
 * SignatureV4 send) and the presigned query form. Pure: the server hands in the request as it
 * arrived and sends back the answer given here.
 *
 * AWS's answers (status 403; body text as AWS returns it):
 * - no signature: `{"Message":"Forbidden. For troubleshooting Function URL authorization issues,
 *   see: …/urls-auth.html"}` with `x-amzn-ErrorType: AccessDeniedException`, as Function URLs
 *   answer in 2026 (awsdocs/aws-lambda-developer-guide#494; ant-media/Ant-Media-Server#7827; older
 *   reports show the shorter `{"Message":"Forbidden"}`);
 * - signature mismatch: `{"message":"The request signature we calculated does not match the
 *   signature you provided. Check your AWS Secret Access Key and signing method. Consult the service
 *   documentation for details."}` (a Function URL with AWS_IAM, repost.aws question
 *   QUPuq7VvHJRwWxVA3XJIgNKQ);
 * - unknown access key: `The security token included in the request is invalid.` (a Function URL
 *   with AWS_IAM, jamesmbourne/aws4-axios#1553);
 * - expired or future date, wrong scope: the texts of the IAM guide's "Troubleshoot Signature
 *   Version 4 signing" page (`Signature expired: <date> is now earlier than <date>`, `Signature not
 *   yet current: …`, `Credential should be scoped to a valid Region…`), with the parenthesis
 *   (`(<now> - 5 min.)`) AWS's JSON services add;
 * - a malformed Authorization header: `Authorization header requires '<Part>' parameter.` as AWS's
 *   SigV4 front doors word it (IncompleteSignatureException).
 * Each answer also carries a local `reason` for the runtime's log, naming what differed.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CredentialStore } from '../../broker/auth/iam/types';

/** AWS allows this much clock difference for a header-signed request. */
export const MAX_SKEW_MS = 5 * 60 * 1000;

/** The longest X-Amz-Expires SigV4 accepts (seven days). */
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;

const FORBIDDEN =
  'Forbidden. For troubleshooting Function URL authorization issues, see: ' +
  'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS ' +
  'Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

/** A request as it arrived: Node's `req.method`, `req.url`, `req.rawHeaders` and the body. */
export interface SignedRequest {
  readonly method: string;
  /** Path and query as sent (`req.url`). */
  readonly url: string;
  /** Name, value, name, value... as Node's `rawHeaders`. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export interface UrlAuthOptions {
  readonly store: CredentialStore;
  readonly region: string;
  /** @default the current time */
  readonly now?: Date;
}

export type UrlAuthResult =
  | { readonly ok: true; readonly principalArn: string; readonly accessKeyId: string }
  | {
      readonly ok: false;
      readonly status: 403;
      readonly headers: Readonly<Record<string, string>>;
      /** The JSON body AWS sends. */
      readonly body: string;
      /** What was wrong, for the local log. */
      readonly reason: string;
    };

/**
 * The answer to a correctly signed request whose principal may not invoke the URL (no
 * lambda:InvokeFunctionUrl): AWS answers it as it answers an unsigned one.
 */
export function notAuthorized(reason: string): UrlAuthResult {
  return deny('AccessDeniedException', { Message: FORBIDDEN }, reason);
}

function deny(errorType: string, body: Record<string, string>, reason: string): UrlAuthResult {
  return {
    ok: false,
    status: 403,
    headers: { 'x-amzn-errortype': errorType },
    body: JSON.stringify(body),
    reason,
  };
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    return text;
  }
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** The query's `name=value` pairs, decoded, in their order. */
function queryPairs(query: string): [string, string][] {
  if (!query) return [];
  return query.split('&').map((part) => {
    const at = part.indexOf('=');
    return at < 0 ? [decode(part), ''] : [decode(part.slice(0, at)), decode(part.slice(at + 1))];
  });
}

function canonicalQuery(pairs: readonly [string, string][]): string {
  return pairs
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/**
 * The canonical paths a signer may have used: AWS's own for every service but S3 (segments
 * normalised, then each encoded again, which the SDK does) and the path exactly as sent (what curl
 * 7.x signs). They agree for plain paths such as `/` and `/orders`.
 */
function canonicalPaths(rawPath: string): string[] {
  const segments: string[] = [];
  for (const s of rawPath.split('/').slice(1)) {
    if (s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  const normalised = `/${segments.join('/')}`;
  const doubled = normalised
    .split('/')
    .map((s) => encode(s))
    .join('/');
  return [...new Set([doubled, rawPath || '/'])];
}

/** Header values by lower-case name, repeated headers joined by commas, spaces trimmed and folded. */
function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1].trim().replace(/\s+/g, ' ');
    out.set(name, out.has(name) ? `${out.get(name)},${value}` : value);
  }
  return out;
}

/** `20261129T101500Z` → a Date, or undefined when it is not that shape. */
function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A Date in SigV4's basic ISO-8601 form. */
export function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** The parts of a signature, from the Authorization header or the query. */
interface SignatureParts {
  readonly algorithm: string;
  readonly credential: string;
  readonly signedHeaders: string;
  readonly signature: string;
  readonly date: string;
  /** Presigned only. */
  readonly expires?: string;
  readonly securityToken?: string;
  /** The query pairs that enter the canonical query. */
  readonly query: readonly [string, string][];
}

function fromHeader(
  authorization: string,
  headers: Map<string, string>,
  query: [string, string][],
): SignatureParts | string {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((k) => !fields.get(k));
  const date = headers.get('x-amz-date');
  const problems = missing.map((k) => `Authorization header requires '${k}' parameter.`);
  if (!date)
    problems.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (problems.length > 0) return `${problems.join(' ')} Authorization=${authorization}`;
  return {
    algorithm,
    credential: fields.get('Credential')!,
    signedHeaders: fields.get('SignedHeaders')!,
    signature: fields.get('Signature')!,
    date: date!,
    securityToken: headers.get('x-amz-security-token'),
    query,
  };
}

function fromQuery(query: [string, string][]): SignatureParts | string {
  const get = (k: string) => query.find(([name]) => name === k)?.[1];
  const missing = [
    'X-Amz-Credential',
    'X-Amz-Signature',
    'X-Amz-SignedHeaders',
    'X-Amz-Date',
    'X-Amz-Expires',
  ];
  const absent = missing.filter((k) => !get(k));
  if (absent.length > 0) {
    return absent.map((k) => `AWS query-string parameters must include '${k}'.`).join(' ');
  }
  return {
    algorithm: get('X-Amz-Algorithm') ?? '',
    credential: get('X-Amz-Credential')!,
    signedHeaders: get('X-Amz-SignedHeaders')!,
    signature: get('X-Amz-Signature')!,
    date: get('X-Amz-Date')!,
    expires: get('X-Amz-Expires'),
    securityToken: get('X-Amz-Security-Token'),
    query: query.filter(([name]) => name !== 'X-Amz-Signature'),
  };
}

/** Verifies a request to a Function URL with AWS_IAM auth against local credentials. */
export function verifyFunctionUrlRequest(request: SignedRequest, options: UrlAuthOptions): UrlAuthResult {
  const now = options.now ?? new Date();
  const headers = headerMap(request.rawHeaders);
  const q = request.url.indexOf('?');
  const rawPath = q < 0 ? request.url : request.url.slice(0, q);
  const query = queryPairs(q < 0 ? '' : request.url.slice(q + 1));
  const authorization = headers.get('authorization');
  const presigned = query.some(([k]) => k === 'X-Amz-Signature' || k === 'X-Amz-Credential');

  if (!authorization && !presigned) {
    return deny(
      'AccessDeniedException',
      { Message: FORBIDDEN },
      'the request is not signed (no Authorization header, no X-Amz-Signature)',
    );
  }
  const parts = authorization ? fromHeader(authorization, headers, query) : fromQuery(query);
  if (typeof parts === 'string') return deny('IncompleteSignatureException', { message: parts }, parts);
  if (parts.algorithm !== 'AWS4-HMAC-SHA256') {
    const text = `Unsupported AWS 'algorithm': '${parts.algorithm}'`;
    return deny('IncompleteSignatureException', { message: text }, `${text} (only AWS4-HMAC-SHA256 is)`);
  }

  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = parts.credential.split('/');
  const signedAt = parseAmzDate(parts.date);
  if (!signedAt) {
    const text = `Date must be in ISO-8601 'basic format'. Got '${parts.date}'. See http://en.wikipedia.org/wiki/ISO_8601`;
    return deny('IncompleteSignatureException', { message: text }, text);
  }
  const scopeProblem =
    terminator !== 'aws4_request'
      ? `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`
      : scopeDate !== parts.date.slice(0, 8)
        ? `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${parts.date.slice(0, 8)}', from '${parts.date}'.`
        : scopeRegion !== options.region
          ? `Credential should be scoped to a valid region, not '${scopeRegion}'.`
          : scopeService !== 'lambda'
            ? `Credential should be scoped to correct service: 'lambda'.`
            : undefined;
  if (scopeProblem) return deny('InvalidSignatureException', { message: scopeProblem }, scopeProblem);

  const found = options.store.lookup(accessKeyId);
  if (!found) {
    return deny(
      'UnrecognizedClientException',
      { message: INVALID_TOKEN },
      `access key ${accessKeyId} is not one of this run's local credentials`,
    );
  }
  if ((found.sessionToken ?? undefined) !== (parts.securityToken ?? undefined)) {
    return deny(
      'UnrecognizedClientException',
      { message: INVALID_TOKEN },
      `the session token does not belong to access key ${accessKeyId}`,
    );
  }

  const nowText = amzDate(now);
  if (parts.expires === undefined) {
    if (signedAt.getTime() < now.getTime() - MAX_SKEW_MS) {
      const text = `Signature expired: ${parts.date} is now earlier than ${amzDate(new Date(now.getTime() - MAX_SKEW_MS))} (${nowText} - 5 min.)`;
      return deny('InvalidSignatureException', { message: text }, text);
    }
  } else {
    const expires = Number(parts.expires);
    if (!Number.isFinite(expires) || expires <= 0 || expires > MAX_EXPIRES_SECONDS) {
      const text = `X-Amz-Expires must be between 1 and ${MAX_EXPIRES_SECONDS} seconds, not '${parts.expires}'.`;
      return deny('IncompleteSignatureException', { message: text }, text);
    }
    const until = new Date(signedAt.getTime() + expires * 1000);
    if (now.getTime() > until.getTime()) {
      const text = `Signature expired: ${amzDate(until)} is now earlier than ${nowText}`;
      return deny(
        'InvalidSignatureException',
        { message: text },
        `presigned at ${parts.date} for ${parts.expires} s: ${text}`,
      );
    }
  }
  if (signedAt.getTime() > now.getTime() + MAX_SKEW_MS) {
    const text = `Signature not yet current: ${parts.date} is still later than ${amzDate(new Date(now.getTime() + MAX_SKEW_MS))} (${nowText} + 5 min.)`;
    return deny('InvalidSignatureException', { message: text }, text);
  }

  const signedNames = parts.signedHeaders.split(';');
  if (!signedNames.includes('host')) {
    const text = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
    return deny('IncompleteSignatureException', { message: text }, text);
  }
  const absentHeader = signedNames.find((n) => !headers.has(n));
  if (absentHeader) {
    return deny(
      'InvalidSignatureException',
      { message: MISMATCH },
      `signed header ${absentHeader} is not in the request`,
    );
  }

  // The payload is hashed from the body that arrived: a tampered body fails whatever
  // x-amz-content-sha256 claims, and a claim that differs from the body fails too.
  const payloadHash = sha256(request.body);
  const claimed = headers.get('x-amz-content-sha256');
  if (claimed !== undefined && claimed !== payloadHash) {
    return deny(
      'InvalidSignatureException',
      { message: MISMATCH },
      `x-amz-content-sha256 ${claimed} is not the sha256 of the ${request.body.length}-byte body (${payloadHash})`,
    );
  }

  const canonicalHeaders = signedNames.map((n) => `${n}:${headers.get(n)}\n`).join('');
  const scope = `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`;
  let key = hmac(`AWS4${found.secretAccessKey}`, scopeDate);
  for (const part of [scopeRegion, scopeService, 'aws4_request']) key = hmac(key, part);
  const provided = Buffer.from(parts.signature, 'utf8');
  const tried: string[] = [];
  for (const canonicalPath of canonicalPaths(rawPath)) {
    const canonicalRequest = [
      request.method.toUpperCase(),
      canonicalPath,
      canonicalQuery(parts.query),
      canonicalHeaders,
      parts.signedHeaders,
      payloadHash,
    ].join('\n');
    const stringToSign = ['AWS4-HMAC-SHA256', parts.date, scope, sha256(canonicalRequest)].join('\n');
    const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'), 'utf8');
    if (expected.length === provided.length && timingSafeEqual(expected, provided)) {
      return { ok: true, principalArn: found.principalArn, accessKeyId };
    }
    tried.push(JSON.stringify(canonicalRequest));
  }
  return deny(
    'InvalidSignatureException',
    { message: MISMATCH },
    `signature ${parts.signature} matches no canonical request computed here with ${accessKeyId}'s secret: ${tried.join(' or ')}`,
  );
}
