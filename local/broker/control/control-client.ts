/** The control channel seen from another process (`kw cluster`): its two requests over fetch. */
import type { ActionResult, ControlAction, ControlStatus } from './cluster-view';
import type { RunInfo } from './run-file';

/** A request the channel refused (`status` its HTTP status) or could not be sent (no `status`). */
export class ControlError extends Error {
  public override readonly name = 'ControlError';

  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

type Channel = Pick<RunInfo, 'controlUrl' | 'token'>;

async function request<T>(channel: Channel, method: 'GET' | 'POST', path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, channel.controlUrl), {
      method,
      headers: method === 'POST' ? { authorization: `Bearer ${channel.token}` } : {},
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new ControlError(
      `cannot reach the control channel at ${channel.controlUrl} (${cause?.code ?? cause?.message ?? (error as Error).message})`,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ControlError(
      `${channel.controlUrl} did not answer as a control channel: ${text.slice(0, 200)}`,
    );
  }
  if (!response.ok) {
    const why = (body as { error?: string }).error ?? `HTTP ${response.status}`;
    throw new ControlError(why, response.status);
  }
  return body as T;
}

/** GET /status */
export function fetchControlStatus(channel: Channel): Promise<ControlStatus> {
  return request(channel, 'GET', '/status');
}

/** POST /brokers/N/ACTION */
export function brokerAction(channel: Channel, action: ControlAction, nodeId: number): Promise<ActionResult> {
  return request(channel, 'POST', `/brokers/${nodeId}/${action}`);
}
