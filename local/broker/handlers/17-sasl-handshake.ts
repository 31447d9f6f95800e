// SaslHandshake: v0–1. Behaviour: on the IAM listener, picks AWS_MSK_IAM or OAUTHBEARER for the
// SaslAuthenticate (v1) or raw token (v0) that follows, answering UNSUPPORTED_SASL_MECHANISM with the
// mechanisms offered otherwise (auth/sasl/session.ts). The plain listener has no SASL: Kafka answers a
// handshake there with ILLEGAL_SASL_STATE, and so does this broker.
import { ErrorCode } from '../../kafka/errors';
import { SaslHandshakeSchema } from '../../kafka/messages/17-sasl-handshake';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

export const saslHandshake: ApiHandler<typeof SaslHandshakeSchema> = {
  key: 17,
  name: 'SaslHandshake',
  schema: SaslHandshakeSchema,
  minVersion: 0,
  maxVersion: 1,
  handle(request, context): ResponseInput<typeof SaslHandshakeSchema> {
    if (!context.sasl) return { ErrorCode: ErrorCode.ILLEGAL_SASL_STATE, Mechanisms: [] };
    return context.sasl.handshake(request.Mechanism, context.header.apiVersion);
  },
};
