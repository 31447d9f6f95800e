// SaslAuthenticate: v0–2. Behaviour: on the IAM listener, verifies the MSK IAM token the handshake's
// mechanism carries and authorizes kafka-cluster:Connect (auth/sasl/session.ts): a refusal is
// SASL_AUTHENTICATION_FAILED with MSK's "[<request id>]: Access denied" (the reason goes to the
// broker's log, as MSK keeps it to itself); success sets the connection's principal and, from v1, the
// session lifetime after which the client must re-authenticate. The plain listener answers
// ILLEGAL_SASL_STATE, as Kafka does on a listener without SASL.
import { ErrorCode } from '../../kafka/errors';
import { SaslAuthenticateSchema } from '../../kafka/messages/36-sasl-authenticate';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

export const saslAuthenticate: ApiHandler<typeof SaslAuthenticateSchema> = {
  key: 36,
  name: 'SaslAuthenticate',
  schema: SaslAuthenticateSchema,
  minVersion: 0,
  maxVersion: 2,
  handle(request, context): ResponseInput<typeof SaslAuthenticateSchema> {
    if (!context.sasl)
      return {
        ErrorCode: ErrorCode.ILLEGAL_SASL_STATE,
        ErrorMessage: 'this listener does not use SASL: connect to the IAM listener to authenticate',
        AuthBytes: Buffer.alloc(0),
      };
    return context.sasl.authenticate(request.AuthBytes);
  },
};
