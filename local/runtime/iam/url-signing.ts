/**
 * Signs requests to a Function URL with AWS_IAM auth (SigV4, service `lambda`), as the AWS SDK and
 * `curl --aws-sigv4` do, with a profile of the credentials file `kw up` writes under its output
 * folder. The file is read here rather than through the SDK's provider chain so that nothing but the
 * file named is ever used: not the user's ~/.aws, not the shell's AWS_* variables.
 *
 * The SigV4 code is required when a signer is made, not at the top: `kw`'s commands read profiles
 * through this module and would otherwise evaluate it at every start.
 */
import { readFileSync } from 'node:fs';

type SignatureV4Module = typeof import('@smithy/signature-v4');
type Sha256Module = typeof import('@aws-crypto/sha256-js');

/** A profile's static keys. */
export interface ProfileKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The keys of `[profile]` in a shared credentials file's text; throws naming what is missing. */
export function profileKeys(text: string, profile: string, file = 'the credentials file'): ProfileKeys {
  const values = new Map<string, string>();
  let section: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const eq = line.indexOf('=');
    if (section === profile && eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const accessKeyId = values.get('aws_access_key_id');
  const secretAccessKey = values.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey)
    throw new Error(`no profile "${profile}" with aws_access_key_id and aws_secret_access_key in ${file}`);
  const sessionToken = values.get('aws_session_token');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** Reads `profile` from the credentials file at `file`. */
export function readProfileKeys(file: string, profile: string): ProfileKeys {
  return profileKeys(readFileSync(file, 'utf8'), profile, file);
}

/** The headers of a request to `url`, signed: those given plus host, x-amz-date and authorization. */
export type UrlSigner = (
  method: string,
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: string,
) => Promise<Record<string, string>>;

/** A signer for Function URL requests in `region` with `keys`. */
export function functionUrlSigner(keys: ProfileKeys, region: string): UrlSigner {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { SignatureV4 } = require('@smithy/signature-v4') as SignatureV4Module;
  const { Sha256 } = require('@aws-crypto/sha256-js') as Sha256Module;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const signer = new SignatureV4({ credentials: keys, region, service: 'lambda', sha256: Sha256 });
  return async (method, url, headers, body) => {
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...headers, host: url.host },
      body,
    });
    return signed.headers;
  };
}
