/**
 * MSK IAM tokens for tests, made the way real clients make them: OAUTHBEARER through
 * aws-msk-iam-sasl-signer-js (what kafkajs users run), AWS_MSK_IAM signed here with node:crypto by the
 * recipe of the fact sheet (the JSON the Java aws-msk-iam-auth library and kafka-python send), written
 * apart from the broker's verifier so one cannot hide the other's mistake. A local credential store to
 * check them against.
 */
import { createHash, createHmac } from 'node:crypto';
import { generateAuthTokenFromCredentialsProvider } from 'aws-msk-iam-sasl-signer-js';
import type { CredentialStore } from '../../local/broker/auth/iam/types';

export const REGION = 'eu-west-1';
export const CLUSTER_ARN =
  'arn:aws:kafka:eu-west-1:111122223333:cluster/workshop/5a1b2c3d-aaaa-bbbb-cccc-1234567890ab-1';

export interface TestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly principalArn: string;
  readonly sessionToken?: string;
}

export const INGEST: TestCredentials = {
  accessKeyId: 'AKIDLOCALINGEST00001',
  secretAccessKey: 'ingest/secret+key=1234567890abcdefghij',
  principalArn: 'arn:aws:iam::111122223333:role/ingest',
};

export const LEDGER: TestCredentials = {
  accessKeyId: 'ASIALOCALLEDGER00002',
  secretAccessKey: 'ledger-secret-key-0987654321zyxwvutsrq',
  principalArn: 'arn:aws:iam::111122223333:role/ledger',
  sessionToken: 'IQoJb3JpZ2luX2VjEN//////////session+token/with=odd&chars',
};

/** A store holding `known`, counting lookups by access key (one per authentication attempt). */
export function credentialStore(
  ...known: TestCredentials[]
): CredentialStore & { lookups: Map<string, number> } {
  const lookups = new Map<string, number>();
  return {
    lookups,
    lookup(accessKeyId) {
      lookups.set(accessKeyId, (lookups.get(accessKeyId) ?? 0) + 1);
      const found = known.find((c) => c.accessKeyId === accessKeyId);
      return (
        found && {
          secretAccessKey: found.secretAccessKey,
          principalArn: found.principalArn,
          sessionToken: found.sessionToken,
        }
      );
    },
  };
}

/** A token from aws-msk-iam-sasl-signer-js; `expiresInMs` sets the credentials' expiration (a shorter token). */
export async function signerToken(
  credentials: TestCredentials,
  options: { region?: string; secretAccessKey?: string; expiresInMs?: number } = {},
): Promise<{ token: string; expiryTime: number }> {
  return generateAuthTokenFromCredentialsProvider({
    region: options.region ?? REGION,
    awsCredentialsProvider: async () => ({
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: options.secretAccessKey ?? credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: options.expiresInMs === undefined ? undefined : new Date(Date.now() + options.expiresInMs),
    }),
  });
}

/** OAUTHBEARER's client-first message around a token, as kafkajs sends it. */
export function oauthBearerBytes(token: string): Buffer {
  return Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`);
}

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();

export interface MskIamOptions {
  readonly host?: string;
  readonly region?: string;
  readonly action?: string;
  readonly signedAt?: Date;
  readonly expires?: string;
  readonly secretAccessKey?: string;
}

/** The AWS_MSK_IAM JSON payload for `credentials`, signed with node:crypto. */
export function mskIamBytes(credentials: TestCredentials, options: MskIamOptions = {}): Buffer {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? REGION;
  const action = options.action ?? 'kafka-cluster:Connect';
  const amzDate = (options.signedAt ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/kafka-cluster/aws4_request`;
  const expires = options.expires ?? '900';
  const query: [string, string][] = [
    ['Action', action],
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', expires],
    ...(credentials.sessionToken
      ? [['X-Amz-Security-Token', credentials.sessionToken] as [string, string]]
      : []),
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const canonicalQuery = query
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  const canonicalRequest = `GET\n/\n${canonicalQuery}\nhost:${host}\n\nhost\n${sha256('')}`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonicalRequest)}`;
  const secret = options.secretAccessKey ?? credentials.secretAccessKey;
  const key = ['aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(hmac(`AWS4${secret}`, day), region), 'kafka-cluster'),
  );
  const payload: Record<string, string> = {
    version: '2020_10_22',
    host,
    'user-agent': 'workshop-test',
    action,
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': `${credentials.accessKeyId}/${scope}`,
    'x-amz-date': amzDate,
    'x-amz-signedheaders': 'host',
    'x-amz-expires': expires,
    'x-amz-signature': createHmac('sha256', key).update(stringToSign).digest('hex'),
  };
  if (credentials.sessionToken) payload['x-amz-security-token'] = credentials.sessionToken;
  return Buffer.from(JSON.stringify(payload));
}
