/**
 * Whether a signed `kafka-cluster:Connect` request (either token format) proves its holder's identity,
 * decided offline as MSK decides it online: the action, the region, the validity window
 * (X-Amz-Date + X-Amz-Expires, a float when credentials expire first) and the SigV4 signature against
 * the secret of a known access key. Each refusal carries its own kind and a sentence for the broker's
 * log; the client is only ever told "Access denied", as MSK tells it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { CredentialStore, Principal } from '../iam/types';
import type { SignedConnect } from './signed-connect';
import { presignedSignature } from './sigv4';

export const CONNECT_ACTION = 'kafka-cluster:Connect';
const SERVICE = 'kafka-cluster';
/** How far in the future a signing time may be (a client's clock ahead of ours), as SigV4 allows. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export type RefusalKind =
  | 'malformed'
  | 'wrong-action'
  | 'wrong-region'
  | 'expired'
  | 'not-yet-valid'
  | 'unknown-access-key'
  | 'session-token-mismatch'
  | 'bad-signature';

export type ConnectVerdict =
  | { readonly ok: true; readonly principal: Principal; readonly expiresAtMs: number }
  | { readonly ok: false; readonly kind: RefusalKind; readonly reason: string };

export interface VerifyOptions {
  readonly credentials: CredentialStore;
  /** The cluster's region: the only one a token may be scoped to. */
  readonly region: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

const refuse = (kind: RefusalKind, reason: string): ConnectVerdict => ({ ok: false, kind, reason });

/** `yyyyMMddTHHmmssZ` as milliseconds since the epoch, or NaN. */
function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

export function verifyConnect(signed: SignedConnect, options: VerifyOptions): ConnectVerdict {
  const param = (name: string) => signed.params.get(name);
  const action = param('Action');
  if (action !== CONNECT_ACTION)
    return refuse('wrong-action', `the token signs action ${String(action)}, not ${CONNECT_ACTION}`);
  if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    return refuse('malformed', `unsupported X-Amz-Algorithm ${String(param('X-Amz-Algorithm'))}`);
  // Only the host header can be recomputed here: a token signing others cannot be checked.
  if (param('X-Amz-SignedHeaders') !== 'host')
    return refuse('malformed', `X-Amz-SignedHeaders is ${String(param('X-Amz-SignedHeaders'))}, not host`);

  const credential = (param('X-Amz-Credential') ?? '').split('/');
  if (credential.length !== 5 || credential[4] !== 'aws4_request')
    return refuse(
      'malformed',
      `X-Amz-Credential ${String(param('X-Amz-Credential'))} is not AKID/date/region/service/aws4_request`,
    );
  const [accessKeyId, date, region, service] = credential;
  if (service !== SERVICE)
    return refuse('malformed', `the token is scoped to service ${service}, not ${SERVICE}`);
  if (region !== options.region)
    return refuse(
      'wrong-region',
      `the token is scoped to region ${region}; this cluster is in ${options.region}`,
    );

  const amzDate = param('X-Amz-Date') ?? '';
  const signedAt = parseAmzDate(amzDate);
  if (Number.isNaN(signedAt)) return refuse('malformed', `X-Amz-Date ${amzDate} is not yyyyMMddTHHmmssZ`);
  if (!amzDate.startsWith(date))
    return refuse('malformed', `the credential scope's date ${date} is not X-Amz-Date's day (${amzDate})`);
  const expiresText = param('X-Amz-Expires') ?? '';
  const expires = /^\d+(\.\d+)?$/.test(expiresText) ? Number(expiresText) : NaN;
  if (!(expires > 0))
    return refuse('malformed', `X-Amz-Expires ${expiresText} is not a positive number of seconds`);
  const expiresAtMs = signedAt + expires * 1000;
  if (options.now > expiresAtMs)
    return refuse(
      'expired',
      `the token expired at ${new Date(expiresAtMs).toISOString()} (signed ${new Date(signedAt).toISOString()}, valid ${expiresText} s)`,
    );
  if (signedAt - options.now > MAX_CLOCK_SKEW_MS)
    return refuse(
      'not-yet-valid',
      `the token is signed at ${new Date(signedAt).toISOString()}, in the future`,
    );

  const known = options.credentials.lookup(accessKeyId);
  if (!known)
    return refuse('unknown-access-key', `access key ${accessKeyId} is not one of the local credentials`);
  const sessionToken = param('X-Amz-Security-Token');
  if (sessionToken !== known.sessionToken)
    return refuse(
      'session-token-mismatch',
      known.sessionToken === undefined
        ? `access key ${accessKeyId} has no session token, but the token carries one`
        : `the token's X-Amz-Security-Token is not access key ${accessKeyId}'s session token`,
    );

  const expected = presignedSignature({
    host: signed.host,
    params: signed.params,
    amzDate,
    date,
    region,
    service,
    secretAccessKey: known.secretAccessKey,
  });
  const given = Buffer.from(signed.signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected, 'utf8')))
    return refuse('bad-signature', `the signature does not match access key ${accessKeyId}'s secret`);
  return { ok: true, principal: { arn: known.principalArn, accessKeyId }, expiresAtMs };
}
