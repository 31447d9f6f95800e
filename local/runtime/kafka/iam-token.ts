/**
 * MSK IAM tokens for the runtime's own Kafka connections (the mappings' pollers), made by the same
 * signer the functions use (aws-msk-iam-sasl-signer-js): a SigV4-presigned kafka-cluster:Connect URL,
 * valid 15 minutes, signed with a role's local keys. A fresh token for every authentication. `kw`'s
 * `--as-role` signs with it too.
 *
 * The signer is required at the first token, not at the top: it brings the AWS SDK's STS client and
 * SigV4 code (about 125 ms to evaluate), which every `kw` command would otherwise pay at start even
 * where nothing signs.
 */
import type { SaslOauthBearer } from './wire-client';

type IamSignerModule = typeof import('aws-msk-iam-sasl-signer-js');

/** Keys, as the run's local credentials give them. */
export interface StaticKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When the keys stop being valid: a token expires no later (the signer shortens X-Amz-Expires). */
  readonly expiration?: Date;
}

/** Authenticates as the holder of `keys` in `region`. */
export function mskIamToken(keys: StaticKeys, region: string): SaslOauthBearer {
  const awsCredentialsProvider = async () => ({
    accessKeyId: keys.accessKeyId,
    secretAccessKey: keys.secretAccessKey,
    ...(keys.sessionToken ? { sessionToken: keys.sessionToken } : {}),
    ...(keys.expiration ? { expiration: keys.expiration } : {}),
  });
  return {
    token: async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const signer = require('aws-msk-iam-sasl-signer-js') as IamSignerModule;
      return (await signer.generateAuthTokenFromCredentialsProvider({ region, awsCredentialsProvider }))
        .token;
    },
  };
}
