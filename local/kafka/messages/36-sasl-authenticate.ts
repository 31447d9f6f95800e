// SaslAuthenticate (key 36): v0–2, flexible from v2. v1 adds SessionLifetimeMs (KIP-368).
import { field, message, type ApiSchema } from '../schema';

export const SaslAuthenticateSchema = {
  request: message({
    name: 'SaslAuthenticateRequest',
    apiKey: 36,
    valid: '0-2',
    flexible: '2+',
    fields: [field('AuthBytes', 'bytes', '0+')],
  }),
  response: message({
    name: 'SaslAuthenticateResponse',
    apiKey: 36,
    valid: '0-2',
    flexible: '2+',
    fields: [
      field('ErrorCode', 'int16', '0+'),
      field('ErrorMessage', 'string', '0+', { nullable: '0+' }),
      field('AuthBytes', 'bytes', '0+'),
      field('SessionLifetimeMs', 'int64', '1+', { default: 0n }),
    ],
  }),
} satisfies ApiSchema;
