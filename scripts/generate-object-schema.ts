import { writeFileSync } from 'node:fs';
import { buildObjectSchemas } from './object-schema';

/** Regenerates functions/core/api/object-schema.generated.json (run after upgrading kubernetes-types). */
export const schemaKinds = [
  'Pod',
  'Namespace',
  'Node',
  'meta/v1.DeleteOptions',
  'policy/v1.PodDisruptionBudget',
  'policy/v1.Eviction',
  'authorization/v1.SelfSubjectAccessReview',
  'authorization/v1.SelfSubjectRulesReview',
] as const;
export const schemaPath = new URL('../functions/core/api/object-schema.generated.json', import.meta.url);

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  writeFileSync(schemaPath, `${JSON.stringify(buildObjectSchemas(schemaKinds))}\n`);
  console.log(`wrote ${schemaPath.pathname}`);
}
