import * as clientNode from '@kubernetes/client-node';

/**
 * kubernetes-types declares every integer and floating-point field as `number`; the Kubernetes
 * JavaScript client (`@kubernetes/client-node`, generated from the same upstream OpenAPI) keeps
 * each one's format (`int32`, `int64`, `double`), so generated schemas can say what upstream's do.
 */
export function numberFormat(group: string, owner: string, field: string): string | undefined {
  const models = clientNode as unknown as Record<
    string,
    { getAttributeTypeMap?: () => { name: string; format: string }[] } | undefined
  >;
  const model = (group === 'core/v1' ? models[`CoreV1${owner}`] : undefined) ?? models[`V1${owner}`];
  return model?.getAttributeTypeMap?.().find((attribute) => attribute.name === field)?.format || undefined;
}
