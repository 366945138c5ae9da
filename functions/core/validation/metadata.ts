import type { FieldError } from '../errors';
import { finalizerErrors } from '../pod/deletion';
import { invalid, required } from './field-errors';
import { dns1123LabelErrors, dns1123SubdomainErrors, maskTrailingDash } from './formats';
import { type JsonObject, readArray, readString, readStringMap } from './json';
import { validateAnnotations, validateLabels } from './labels';

/**
 * apimachinery's ValidateObjectMeta for a pod (name function NameIsDNSSubdomain): generateName,
 * name, namespace, labels, annotations and finalizers (with core validation's finalizer names). The namespace is checked when present; podplane's API
 * fills it in from the URL before validating, as the apiserver does.
 */
export function validatePodMetadata(metadata: JsonObject, path = 'metadata'): FieldError[] {
  const errors: FieldError[] = [];
  const generateName = readString(metadata, 'generateName', `${path}.generateName`, errors);
  if (generateName)
    for (const message of dns1123SubdomainErrors(maskTrailingDash(generateName)))
      errors.push(invalid(`${path}.generateName`, generateName, message));

  const name = readString(metadata, 'name', `${path}.name`, errors);
  if (!name) {
    // A name of the wrong type was reported already; an absent one is what this is about.
    if (!errors.some((e) => e.field === `${path}.name`))
      errors.push(required(`${path}.name`, 'name or generateName is required'));
  } else
    for (const message of dns1123SubdomainErrors(name)) errors.push(invalid(`${path}.name`, name, message));

  const namespace = readString(metadata, 'namespace', `${path}.namespace`, errors);
  if (namespace)
    for (const message of dns1123LabelErrors(namespace))
      errors.push(invalid(`${path}.namespace`, namespace, message));

  errors.push(
    ...validateLabels(readStringMap(metadata, 'labels', `${path}.labels`, errors), `${path}.labels`),
  );
  errors.push(
    ...validateAnnotations(
      readStringMap(metadata, 'annotations', `${path}.annotations`, errors),
      `${path}.annotations`,
    ),
  );
  const finalizers = readArray(metadata, 'finalizers', `${path}.finalizers`, errors) ?? [];
  errors.push(
    ...finalizerErrors(
      finalizers.filter((f): f is string => typeof f === 'string'),
      `${path}.finalizers`,
    ),
  );
  return errors;
}
