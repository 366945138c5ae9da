import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** What a custom resource's function tells CloudFormation about one request. */
export interface CustomResourceResult {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly PhysicalResourceId: string;
  readonly Reason?: string;
}

/**
 * Answers a custom resource request on its pre-signed URL: CloudFormation waits for this (up to
 * the resource's service timeout), not for the function to return.
 */
export async function respond(
  event: CloudFormationCustomResourceEvent,
  result: CustomResourceResult,
): Promise<void> {
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    // The pre-signed URL is signed without a content type.
    headers: { 'content-type': '' },
    body: JSON.stringify({
      ...result,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    }),
  });
  if (!response.ok) throw new Error(`CloudFormation response: HTTP ${response.status}`);
}

/** An error's message, for a FAILED response's Reason. */
export const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
