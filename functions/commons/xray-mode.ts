/**
 * X-Ray's SDK starts in automatic mode when it is first imported: it installs an async hook that
 * tracks every promise of the process, about a tenth of the CPU of the local control plane under
 * a burst (docs/benchmarks.md). Outside Lambda, or with tracing turned off, nothing is traced, so
 * there it starts in manual mode. Imported before anything that imports the SDK.
 */
if (!process.env.AWS_EXECUTION_ENV || process.env.POWERTOOLS_TRACE_ENABLED === 'false')
  process.env.AWS_XRAY_MANUAL_MODE ??= '1';
