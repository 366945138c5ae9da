import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { type FunctionName, functionDefinitions } from '../../functions/wiring';
import { stackPropsFromContext } from '../../lib/context';
import { PodplaneStack } from '../../lib/stack';

/** What `cdk synth` gives one handler: its bundle directory, handler and environment. */
export interface SynthesizedFunction {
  readonly logicalId: string;
  /** The asset directory esbuild wrote (`asset.<hash>`), absolute. */
  readonly bundleDir: string;
  /** `index.handler`: the module file (without extension) and its export. */
  readonly handler: string;
  /** The template's Environment.Variables, tokens and all. */
  readonly environment: Readonly<Record<string, unknown>>;
}

export interface SynthesizedStack {
  readonly functions: Readonly<Record<FunctionName, SynthesizedFunction>>;
  /** Every resource, for resolving the environment's references. */
  readonly resources: Readonly<Record<string, { Type: string; Properties?: Record<string, unknown> }>>;
}

/**
 * Synthesizes the stack as `cdk synth` does with the repository's cdk.json (the same app code,
 * context and bundling), into `outdir`, and finds each wiring function's bundle in it.
 */
export function synthesizeStack(repositoryRoot: string, outdir: string): SynthesizedStack {
  const cdkJson = JSON.parse(readFileSync(join(repositoryRoot, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  // Asset metadata names each function's bundle directory, as the CLI asks for it.
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true } });
  const props = stackPropsFromContext((key) => app.node.tryGetContext(key));
  new PodplaneStack(app, props.stackName, props);
  const template = app.synth().getStackByName(props.stackName).template as {
    Resources: Record<
      string,
      { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
    >;
  };
  const functions: Partial<Record<FunctionName, SynthesizedFunction>> = {};
  for (const name of Object.keys(functionDefinitions) as FunctionName[]) {
    const service = `podplane-${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    const found = Object.entries(template.Resources).find(([, resource]) => {
      const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> })
        ?.Variables;
      return resource.Type === 'AWS::Lambda::Function' && variables?.POWERTOOLS_SERVICE_NAME === service;
    });
    if (!found) throw new Error(`--bundled: the synthesized template has no function for ${name}`);
    const [logicalId, resource] = found;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') throw new Error(`--bundled: ${logicalId} names no bundle`);
    functions[name] = {
      logicalId,
      bundleDir: join(outdir, assetPath),
      handler: String(resource.Properties?.Handler ?? 'index.handler'),
      environment:
        (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
          ?.Variables ?? {},
    };
  }
  return { functions: functions as Record<FunctionName, SynthesizedFunction>, resources: template.Resources };
}
