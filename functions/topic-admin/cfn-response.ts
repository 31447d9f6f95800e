/**
 * Reports a custom resource's outcome to CloudFormation: a PUT of a JSON document to the pre-signed
 * ResponseURL in the event. Without this PUT the stack waits for an hour before failing.
 */
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';

export interface ResourceOutcome {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId: string;
  readonly reason?: string;
  readonly data?: Record<string, unknown>;
}

/** Builds the response document for an event and outcome. */
export function responseDocument(
  event: CloudFormationCustomResourceEvent,
  outcome: ResourceOutcome,
  logStreamName: string,
): CloudFormationCustomResourceResponse {
  return {
    Status: outcome.status,
    // CloudFormation caps the whole document at 4 KiB: keep the reason short.
    Reason: (outcome.reason ?? `see CloudWatch log stream ${logStreamName}`).slice(0, 1000),
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: outcome.data,
  };
}

/** Sends the response document, retrying transient failures. */
export async function sendResponse(
  url: string,
  document: CloudFormationCustomResourceResponse,
): Promise<void> {
  const body = JSON.stringify(document);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // The pre-signed URL was signed without a content type: sending one would break the signature.
      const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '' } });
      if (res.ok) return;
      lastError = new Error(`CloudFormation response rejected: HTTP ${res.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
  }
  throw lastError;
}
