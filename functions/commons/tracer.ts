// First: it decides how X-Ray's SDK starts, which the Tracer imports.
import './xray-mode';
import { Tracer } from '@aws-lambda-powertools/tracer';

let shared: Tracer | undefined;

/**
 * X-Ray through Powertools, created on first use so the environment it reads is the one the
 * handler runs in. Tracing is off outside Lambda (no AWS_EXECUTION_ENV) and wherever
 * POWERTOOLS_TRACE_ENABLED is "false", as in the local control plane: there is no X-Ray daemon.
 */
export function tracer(): Tracer {
  shared ??= new Tracer();
  return shared;
}

/** An AWS SDK v3 client whose calls appear as subsegments of the invocation's trace. */
export function traced<T>(client: T): T {
  return tracer().captureAWSv3Client(client);
}
