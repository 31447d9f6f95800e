/**
 * The template's Function URLs, each on a local port: the first one asked for, the next ones after it.
 * A URL with AuthType AWS_IAM checks its requests when the runtime enforces IAM (`iamAuth`).
 */
import type { CloudAssemblyView } from '../assembly';
import type { SignedRequest, UrlAuthResult } from '../iam/function-url-auth';
import { StopPhase, type Lifecycle } from '../lifecycle';
import { startFunctionUrl, type UrlAnswers } from '../url-server';
import { shortName, type RunningFunction } from './functions';

export interface LocalEndpointUrl {
  readonly functionName: string;
  readonly displayName: string;
  readonly url: string;
  readonly authType: string;
  /** Whether requests must be signed (AWS_IAM while `kw up` enforces IAM). */
  readonly authEnforced: boolean;
  /** Each request's answer, as it is given (for live views). */
  readonly answers: UrlAnswers;
}

/** Starts a local HTTP server for each Function URL, from `firstPort` (0: free ports). */
export async function startFunctionUrls(
  assembly: CloudAssemblyView,
  functions: ReadonlyMap<string, RunningFunction>,
  options: {
    readonly host: string;
    readonly firstPort: number;
    /** Checks a request to the URL of function `functionArn` (AWS_IAM URLs); none: not enforced. */
    readonly iamAuth?: (request: SignedRequest, functionArn: string) => UrlAuthResult;
    readonly log?: (message: string) => void;
  },
  lifecycle: Lifecycle,
): Promise<LocalEndpointUrl[]> {
  const urls: LocalEndpointUrl[] = [];
  let nextPort = options.firstPort;
  for (const spec of assembly.urls) {
    const fn = functions.get(spec.functionId)!;
    const { iamAuth } = options;
    const enforced = spec.authType === 'AWS_IAM' && iamAuth !== undefined;
    const running = await startFunctionUrl(fn.pool, {
      port: nextPort,
      host: options.host,
      apiId: shortName(fn.spec),
      ...(enforced ? { auth: (request: SignedRequest) => iamAuth(request, fn.spec.arn) } : {}),
      log: options.log,
    });
    if (nextPort !== 0) nextPort = running.port + 1;
    lifecycle.onStop(StopPhase.urls, () => running.close());
    urls.push({
      functionName: shortName(fn.spec),
      displayName: fn.spec.displayName,
      url: running.url,
      authType: spec.authType,
      authEnforced: enforced,
      answers: running.answers,
    });
  }
  return urls;
}
