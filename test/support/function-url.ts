/**
 * Calls to a local Function URL as a client of the app would make them: signed with SigV4 (service
 * lambda) by the run's caller keys when IAM is enforced (the URL's AWS_IAM auth wants that), plain
 * otherwise.
 */
import { functionUrlSigner, readProfileKeys, type ProfileKeys } from '../../local/runtime/iam/url-signing';
import { LOCAL_REGION } from '../../local/runtime/template/intrinsics';

export interface UrlAnswer {
  readonly status: number;
  /** The answer parsed as JSON, or its text when it is not JSON. */
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/** Posts `body` (JSON unless a string) to `url`, signed with `keys` when given. */
export async function postToUrl(url: string, body: unknown, keys?: ProfileKeys): Promise<UrlAnswer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const base = { 'content-type': 'application/json' };
  const headers = keys ? await functionUrlSigner(keys, LOCAL_REGION)('POST', new URL(url), base, text) : base;
  const res = await fetch(url, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(30_000) });
  const answer = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(answer) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  return { status: res.status, body: parsed, text: answer };
}

/** The caller keys of a run's credentials file, or undefined without one (IAM not enforced). */
export function callerKeys(credentialsFile: string | undefined, profile = 'caller'): ProfileKeys | undefined {
  return credentialsFile ? readProfileKeys(credentialsFile, profile) : undefined;
}
