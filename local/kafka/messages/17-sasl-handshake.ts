// SaslHandshake (key 17): v0–1, never flexible. v0 is followed by raw SASL tokens, v1 by
// SaslAuthenticate requests carrying them.
import { field, message, type ApiSchema } from '../schema';

export const SaslHandshakeSchema = {
  request: message({
    name: 'SaslHandshakeRequest',
    apiKey: 17,
    valid: '0-1',
    flexible: 'none',
    fields: [field('Mechanism', 'string', '0+')],
  }),
  response: message({
    name: 'SaslHandshakeResponse',
    apiKey: 17,
    valid: '0-1',
    flexible: 'none',
    fields: [field('ErrorCode', 'int16', '0+'), field('Mechanisms', '[]string', '0+')],
  }),
} satisfies ApiSchema;
