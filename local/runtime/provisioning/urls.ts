/** The template's Function URLs, each on a local port: the first one asked for, the next ones after it. */
import type { CloudAssemblyView } from '../assembly';
import { StopPhase, type Lifecycle } from '../lifecycle';
import { startFunctionUrl, type UrlAnswers } from '../url-server';
import { shortName, type RunningFunction } from './functions';

export interface LocalEndpointUrl {
  readonly functionName: string;
  readonly displayName: string;
  readonly url: string;
  readonly authType: string;
  /** Each request's answer, as it is given (for live views). */
  readonly answers: UrlAnswers;
}

/** Starts a local HTTP server for each Function URL, from `firstPort` (0: free ports). */
export async function startFunctionUrls(
  assembly: CloudAssemblyView,
  functions: ReadonlyMap<string, RunningFunction>,
  options: { readonly host: string; readonly firstPort: number },
  lifecycle: Lifecycle,
): Promise<LocalEndpointUrl[]> {
  const urls: LocalEndpointUrl[] = [];
  let nextPort = options.firstPort;
  for (const spec of assembly.urls) {
    const fn = functions.get(spec.functionId)!;
    const running = await startFunctionUrl(fn.pool, {
      port: nextPort,
      host: options.host,
      apiId: shortName(fn.spec),
    });
    if (nextPort !== 0) nextPort = running.port + 1;
    lifecycle.onStop(StopPhase.urls, () => running.close());
    urls.push({
      functionName: shortName(fn.spec),
      displayName: fn.spec.displayName,
      url: running.url,
      authType: spec.authType,
      answers: running.answers,
    });
  }
  return urls;
}
