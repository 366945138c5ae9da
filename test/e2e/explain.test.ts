import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlFor, useControlPlane } from './control-plane';

/**
 * `kubectl explain` against `npm start`'s program: kubectl reads the fields, their types and
 * descriptions from the served OpenAPI v3 document, checked by what kubectl prints.
 */

/** Collapses the 80-column wrapping kubectl gives descriptions, so sentences can be matched whole. */
const unwrapped = (text: string) => text.replace(/\s+/g, ' ');

describe.skipIf(!hasKubectl)('kubectl explain against podplane', () => {
  const kubectl = kubectlFor(useControlPlane('podplane-explain-', ['--nodes', '1']));
  const explain = (...args: string[]) => kubectl.run('explain', ...args);

  it('explains a resource: its kind, version, description and fields', () => {
    const output = explain('pods');
    expect(output).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/);
    expect(unwrapped(output)).toContain('Pod is a collection of containers that can run on a host.');
    expect(output).toMatch(/^ {2}spec\t<PodSpec>$/m);
    expect(output).toMatch(/^ {2}status\t<PodStatus>$/m);
  });

  it('explains a field deep in a pod with its type and description', () => {
    const output = explain('pod.spec.containers.image');
    expect(output).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/);
    expect(output).toMatch(/^FIELD: image <string>$/m);
    expect(unwrapped(output)).toContain(
      'Container image name. More info: https://kubernetes.io/docs/concepts/containers/images',
    );
  });

  it('marks required fields and names the upstream types of the special ones', () => {
    const containers = explain('pod.spec.containers');
    expect(containers).toMatch(/^FIELD: containers <\[\]Container>$/m);
    expect(containers).toMatch(/^ {2}name\t<string> -required-$/m);
    expect(containers).toMatch(/^ {2}resources\t<ResourceRequirements>$/m);
    expect(explain('pod.spec.containers.resources.limits')).toMatch(
      /^FIELD: limits <map\[string\]Quantity>$/m,
    );
    expect(explain('pod.spec.containers.ports.containerPort')).toMatch(/^FIELD: containerPort <integer>$/m);
    expect(explain('pod.spec.containers.livenessProbe.httpGet.port')).toMatch(/^FIELD: port <IntOrString>$/m);
  });

  it('explains the other kinds podplane serves', () => {
    const phase = explain('namespace.status.phase');
    expect(phase).toMatch(/^KIND:\s+Namespace\nVERSION:\s+v1\n/);
    expect(phase).toMatch(/^FIELD: phase <string>$/m);
    expect(unwrapped(phase)).toContain('Phase is the current lifecycle phase of the namespace.');
    const capacity = explain('nodes.status.capacity');
    expect(capacity).toMatch(/^KIND:\s+Node\n/);
    expect(capacity).toMatch(/^FIELD: capacity <map\[string\]Quantity>$/m);
    const involvedObject = explain('events.involvedObject');
    expect(involvedObject).toMatch(/^KIND:\s+Event\n/);
    expect(involvedObject).toMatch(/^FIELD: involvedObject <ObjectReference>$/m);
  });

  it('says which field does not exist', () => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      explain('pod.spec.nope');
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toContain('error: field "nope" does not exist');
  });
});
