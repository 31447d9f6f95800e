/**
 * One connection's SASL state on the IAM listener, as MSK runs it: SaslHandshake picks a mechanism,
 * SaslAuthenticate carries the signed Connect token, which is verified, then Connect is authorized on
 * the cluster ARN. Until then only ApiVersions and the two SASL requests are served; once the session
 * lifetime (the token's expiry) passes, only a re-authentication (KIP-368) is. Pure: the clock and the
 * log come in, answers go out; the connection (server/connection.ts) does the I/O.
 */
import { randomUUID } from 'node:crypto';
import type { Authorizer, CredentialStore, Principal } from '../iam/types';
import { ErrorCode } from '../../../kafka/errors';
import {
  MalformedToken,
  MSK_IAM_VERSION,
  readMskIamJson,
  readOauthBearer,
  type SignedConnect,
} from './signed-connect';
import { CONNECT_ACTION, verifyConnect } from './verify-connect';

/** What the IAM listener needs to check a client: the broker's `iam` option. */
export interface SaslSettings {
  readonly credentials: CredentialStore;
  /** Decides Connect on the cluster ARN. @default every authenticated principal may connect */
  readonly authorizer?: Authorizer;
  readonly region: string;
  readonly clusterArn: string;
}

/** The mechanisms MSK's IAM listener offers, in the order SaslHandshake lists them. */
export const MECHANISMS = ['AWS_MSK_IAM', 'OAUTHBEARER'] as const;
type Mechanism = (typeof MECHANISMS)[number];

const READERS: Readonly<Record<Mechanism, (bytes: Buffer) => SignedConnect>> = {
  OAUTHBEARER: readOauthBearer,
  AWS_MSK_IAM: readMskIamJson,
};

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

export interface HandshakeAnswer {
  readonly ErrorCode: number;
  readonly Mechanisms: string[];
}

export interface AuthenticateAnswer {
  readonly ErrorCode: number;
  readonly ErrorMessage: string | null;
  readonly AuthBytes: Buffer;
  readonly SessionLifetimeMs: bigint;
}

export class SaslSession {
  private mechanism?: Mechanism;
  private authenticated?: { readonly principal: Principal; readonly expiresAtMs: number };
  private failed = false;
  /** Set by a v0 handshake: the next frame is a raw token, not a Kafka request. */
  private rawTokenNext = false;

  constructor(
    private readonly settings: SaslSettings,
    private readonly log: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Who the connection acts as, once authenticated (kept through a re-authentication). */
  get principal(): Principal | undefined {
    return this.authenticated?.principal;
  }

  /** Whether the next frame is a raw SASL token (after SaslHandshake v0). */
  get awaitsRawToken(): boolean {
    return this.rawTokenNext;
  }

  /** Why a request with `apiKey` must close the connection instead of being served, or undefined. */
  refusal(apiKey: number, apiName: string): string | undefined {
    if (this.failed) return `${apiName} after a failed SASL authentication`;
    const sasl = apiKey === SASL_HANDSHAKE || apiKey === SASL_AUTHENTICATE;
    if (!this.authenticated) {
      return sasl || apiKey === API_VERSIONS
        ? undefined
        : `${apiName} before SASL authentication on the IAM listener (the client must use SASL: AWS_MSK_IAM or OAUTHBEARER)`;
    }
    // Kafka closes an expired session on anything but the re-authentication's own requests.
    if (this.now() > this.authenticated.expiresAtMs && !sasl)
      return `${apiName} after the session of ${this.authenticated.principal.arn} expired at ${new Date(this.authenticated.expiresAtMs).toISOString()} without re-authentication`;
    return undefined;
  }

  handshake(mechanism: string, version: number): HandshakeAnswer {
    const mechanisms = [...MECHANISMS];
    if (this.mechanism) {
      this.failed = true;
      this.log(
        `SaslHandshake for ${mechanism} while a handshake for ${this.mechanism} awaits SaslAuthenticate`,
      );
      return { ErrorCode: ErrorCode.ILLEGAL_SASL_STATE, Mechanisms: mechanisms };
    }
    if (!(MECHANISMS as readonly string[]).includes(mechanism)) {
      this.failed = true;
      this.log(`SASL mechanism ${mechanism} is not enabled on the IAM listener (${mechanisms.join(', ')})`);
      return { ErrorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, Mechanisms: mechanisms };
    }
    this.mechanism = mechanism as Mechanism;
    this.rawTokenNext = version === 0;
    return { ErrorCode: ErrorCode.NONE, Mechanisms: mechanisms };
  }

  /**
   * Checks a token: on success the connection acts as its principal until the token expires, and the
   * answer says so (SessionLifetimeMs); on failure the client is told "Access denied" and the log why.
   */
  authenticate(authBytes: Buffer): AuthenticateAnswer {
    const mechanism = this.mechanism;
    this.mechanism = undefined;
    this.rawTokenNext = false;
    const requestId = randomUUID();
    if (!mechanism) {
      this.failed = true;
      return answer(ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate before SaslHandshake');
    }
    const deny = (reason: string): AuthenticateAnswer => {
      this.failed = true;
      this.log(`SASL ${mechanism} authentication failed [${requestId}]: ${reason}`);
      return answer(ErrorCode.SASL_AUTHENTICATION_FAILED, `[${requestId}]: Access denied`);
    };
    let signed: SignedConnect;
    try {
      signed = READERS[mechanism](authBytes);
    } catch (error) {
      if (error instanceof MalformedToken) return deny(error.message);
      throw error;
    }
    const now = this.now();
    const verdict = verifyConnect(signed, {
      credentials: this.settings.credentials,
      region: this.settings.region,
      now,
    });
    if (!verdict.ok) return deny(verdict.reason);
    const { principal } = verdict;
    // KIP-368: a re-authentication may renew the session but not change who it belongs to.
    const previous = this.authenticated?.principal;
    if (previous && previous.arn !== principal.arn)
      return deny(`re-authentication as ${principal.arn} on a connection of ${previous.arn}`);
    const decision = this.settings.authorizer?.authorize(principal, CONNECT_ACTION, this.settings.clusterArn);
    if (decision && !decision.allowed)
      return deny(
        `${CONNECT_ACTION} denied for ${principal.arn} on ${this.settings.clusterArn} (${decision.reason}${decision.by ? ` by ${decision.by}` : ''})`,
      );
    this.authenticated = { principal, expiresAtMs: verdict.expiresAtMs };
    const lifetime = Math.max(1, Math.floor(verdict.expiresAtMs - now));
    const reply =
      mechanism === 'AWS_MSK_IAM'
        ? Buffer.from(JSON.stringify({ version: MSK_IAM_VERSION, 'request-id': requestId }))
        : Buffer.alloc(0);
    return {
      ErrorCode: ErrorCode.NONE,
      ErrorMessage: null,
      AuthBytes: reply,
      SessionLifetimeMs: BigInt(lifetime),
    };
  }
}

function answer(code: number, message: string): AuthenticateAnswer {
  return { ErrorCode: code, ErrorMessage: message, AuthBytes: Buffer.alloc(0), SessionLifetimeMs: 0n };
}
