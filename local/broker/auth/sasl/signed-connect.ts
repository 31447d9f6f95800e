/**
 * The two ways an MSK IAM client carries its signed `kafka-cluster:Connect` request, read into one
 * shape: OAUTHBEARER's base64url presigned URL (aws-msk-iam-sasl-signer-js and the Python and Go
 * signers) and AWS_MSK_IAM's JSON (the Java aws-msk-iam-auth library, kafka-python, franz-go). Pure:
 * no clock, no credentials; a payload that cannot be read throws MalformedToken with what is wrong.
 */

/** The signed request's parts that the signature covers, plus the signature itself. */
export interface SignedConnect {
  /** The `host` header that was signed: the regional endpoint (OAUTHBEARER) or the broker dialled. */
  readonly host: string;
  /** Every signed query parameter (all but X-Amz-Signature and User-Agent), decoded. */
  readonly params: ReadonlyMap<string, string>;
  readonly signature: string;
}

/** A payload that is not a signed Connect request at all. */
export class MalformedToken extends Error {
  public override readonly name = 'MalformedToken';
}

/** Parameters a signer adds after signing, so they are not part of the canonical query. */
const UNSIGNED = new Set(['X-Amz-Signature', 'User-Agent']);

/** OAUTHBEARER's client-first message (RFC 7628): `n,,\x01auth=Bearer <token>\x01\x01`. */
export function readOauthBearer(authBytes: Buffer): SignedConnect {
  // gs2 header, then \x01-separated key=value pairs, ended by an empty one (RFC 7628 §3.1).
  const [gs2, ...pairs] = authBytes.toString('utf8').split('\x01');
  const auth = pairs.find((p) => p.startsWith('auth='));
  if (!gs2.startsWith('n,') || !auth?.startsWith('auth=Bearer '))
    throw new MalformedToken('not an OAUTHBEARER client-first message with a Bearer token');
  const token = auth.slice('auth=Bearer '.length).trim();
  if (!/^[A-Za-z0-9_-]+=*$/.test(token)) throw new MalformedToken('the Bearer token is not base64url');
  let url: URL;
  try {
    url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new MalformedToken('the Bearer token does not decode to a URL');
  }
  if (url.protocol !== 'https:' || url.pathname !== '/')
    throw new MalformedToken(
      `the token's URL is not https://<host>/: ${url.protocol}//${url.host}${url.pathname}`,
    );
  const params = new Map<string, string>();
  let signature: string | undefined;
  for (const [key, value] of url.searchParams) {
    if (params.has(key)) throw new MalformedToken(`the token's URL repeats ${key}`);
    if (key === 'X-Amz-Signature') signature = value;
    else if (!UNSIGNED.has(key)) params.set(key, value);
  }
  if (!signature) throw new MalformedToken('the token has no X-Amz-Signature');
  return { host: url.host, params, signature };
}

/** The JSON keys of an AWS_MSK_IAM payload and the query parameters they stand for. */
const JSON_PARAMS: Readonly<Record<string, string>> = {
  action: 'Action',
  'x-amz-algorithm': 'X-Amz-Algorithm',
  'x-amz-credential': 'X-Amz-Credential',
  'x-amz-date': 'X-Amz-Date',
  'x-amz-expires': 'X-Amz-Expires',
  'x-amz-security-token': 'X-Amz-Security-Token',
  'x-amz-signedheaders': 'X-Amz-SignedHeaders',
};

/** The version every AWS_MSK_IAM client sends and the Java client expects back. */
export const MSK_IAM_VERSION = '2020_10_22';

/** AWS_MSK_IAM's payload: a JSON object with lowercase keys, values not URI-encoded. */
export function readMskIamJson(authBytes: Buffer): SignedConnect {
  let payload: unknown;
  try {
    payload = JSON.parse(authBytes.toString('utf8'));
  } catch {
    throw new MalformedToken('the AWS_MSK_IAM payload is not JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new MalformedToken('the AWS_MSK_IAM payload is not a JSON object');
  const fields = payload as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new MalformedToken(`AWS_MSK_IAM field ${key} is not a string`);
    return value;
  };
  const version = text('version');
  if (version !== MSK_IAM_VERSION)
    throw new MalformedToken(`AWS_MSK_IAM version ${String(version)} is not ${MSK_IAM_VERSION}`);
  const host = text('host');
  if (!host) throw new MalformedToken('the AWS_MSK_IAM payload has no host');
  const signature = text('x-amz-signature');
  if (!signature) throw new MalformedToken('the AWS_MSK_IAM payload has no x-amz-signature');
  const params = new Map<string, string>();
  for (const [key, param] of Object.entries(JSON_PARAMS)) {
    const value = text(key);
    if (value !== undefined) params.set(param, value);
  }
  return { host, params, signature };
}
