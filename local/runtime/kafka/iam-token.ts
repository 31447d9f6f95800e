/**
 * MSK IAM tokens for the runtime's own Kafka connections (the mappings' pollers), made by the same
 * signer the functions use (aws-msk-iam-sasl-signer-js): a SigV4-presigned kafka-cluster:Connect URL,
 * valid 15 minutes, signed with a role's local keys. A fresh token for every authentication.
 */
import { generateAuthTokenFromCredentialsProvider } from 'aws-msk-iam-sasl-signer-js';
import type { SaslOauthBearer } from './wire-client';

/** Keys, as the run's local credentials give them. */
export interface StaticKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** When the keys stop being valid: a token expires no later (the signer shortens X-Amz-Expires). */
  readonly expiration?: Date;
}

/** Authenticates as the holder of `keys` in `region`. */
export function mskIamToken(keys: StaticKeys, region: string): SaslOauthBearer {
  const awsCredentialsProvider = async () => ({
    accessKeyId: keys.accessKeyId,
    secretAccessKey: keys.secretAccessKey,
    ...(keys.expiration ? { expiration: keys.expiration } : {}),
  });
  return {
    token: async () =>
      (await generateAuthTokenFromCredentialsProvider({ region, awsCredentialsProvider })).token,
  };
}
