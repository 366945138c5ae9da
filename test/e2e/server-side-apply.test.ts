import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlFor, useControlPlane, writeManifest } from './control-plane';

/**
 * Server-side apply with the kubectl on this machine against `npm start`'s program: what
 * `kubectl apply --server-side` prints, how it reports conflicts, what --force-conflicts does,
 * the managedFields `--show-managed-fields` shows, and switching between client-side and
 * server-side apply in both directions.
 */

const nginxExample = join(process.cwd(), 'examples', 'nginx.yaml');
const nginxWith = (labels: string) =>
  readFileSync(nginxExample, 'utf8').replace(/ {2}labels:\n {4}app: web\n/, `  labels:\n${labels}`);

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  time?: string;
  subresource?: string;
  fieldsV1: Record<string, unknown>;
}

describe.skipIf(!hasKubectl)('kubectl apply --server-side against podplane', () => {
  const plane = useControlPlane('podplane-ssa-', ['--nodes', '1']);
  const { run: kubectl, fails: kubectlFails, status } = kubectlFor(plane);
  const managedFields = (kind: string, name: string): ManagedFieldsEntry[] =>
    JSON.parse(kubectl('get', kind, name, '-o', 'json', '--show-managed-fields')).metadata.managedFields ??
    [];
  const managers = (kind: string, name: string) =>
    managedFields(kind, name)
      .map((e) => `${e.manager}/${e.operation}`)
      .sort();
  const label = (kind: string, name: string, key: string) =>
    kubectl('get', kind, name, '-o', `jsonpath={.metadata.labels.${key}}`);

  it('creates, re-applies as a no-op, changes a label, reports a conflict, and forces it', async () => {
    expect(kubectl('apply', '--server-side', '-f', nginxExample).trim()).toBe('pod/nginx serverside-applied');
    expect(kubectl('get', 'pod', 'nginx', '-o', 'jsonpath={.spec.containers[0].imagePullPolicy}')).toBe(
      'IfNotPresent',
    );
    const first = managedFields('pod', 'nginx');
    expect(first.map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply']);

    // Timestamps have seconds: a re-apply a second later that changed them would show.
    await new Promise((r) => setTimeout(r, 1100));
    expect(kubectl('apply', '--server-side', '-f', nginxExample).trim()).toBe('pod/nginx serverside-applied');
    expect(managedFields('pod', 'nginx')).toEqual(first);
    expect(kubectl('get', 'pod', 'nginx', '-o', 'jsonpath={.metadata.generation}')).toBe('1');

    const api = writeManifest(plane, 'nginx-api.yaml', nginxWith('    app: api\n'));
    expect(kubectl('apply', '--server-side', '-f', api).trim()).toBe('pod/nginx serverside-applied');
    expect(label('pod', 'nginx', 'app')).toBe('api');

    const other = writeManifest(
      plane,
      'other.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\n  labels:\n    app: other\n',
    );
    const refused = kubectlFails('apply', '--server-side', '--field-manager=other', '-f', other);
    expect(refused).toContain('Apply failed with 1 conflict: conflict with "kubectl": .metadata.labels.app');
    expect(refused).toContain('Please review the fields above--they currently have other managers.');
    expect(label('pod', 'nginx', 'app')).toBe('api');

    expect(
      kubectl('apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', other).trim(),
    ).toBe('pod/nginx serverside-applied');
    expect(label('pod', 'nginx', 'app')).toBe('other');

    const yaml = kubectl('get', 'pod', 'nginx', '-o', 'yaml', '--show-managed-fields');
    expect(yaml).toMatch(/^ {2}managedFields:$/m);
    expect(yaml).toMatch(/^ {4}manager: kubectl$/m);
    expect(yaml).toMatch(/^ {4}manager: other$/m);
    expect(yaml).toMatch(/^ {4}operation: Apply$/m);
    expect(yaml).toMatch(/^ {4}fieldsType: FieldsV1$/m);
    expect(yaml).toMatch(/^ {10}f:app: \{\}$/m);
    expect(yaml).toContain('k:{"name":"nginx"}:');
    expect(kubectl('get', 'pod', 'nginx', '-o', 'yaml')).not.toContain('managedFields');
  });

  it('a server-side dry run changes nothing', () => {
    const dry = writeManifest(plane, 'nginx-dry.yaml', nginxWith('    app: dry\n'));
    expect(kubectl('apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', dry).trim()).toBe(
      'pod/nginx serverside-applied (server dry run)',
    );
    expect(label('pod', 'nginx', 'app')).toBe('other');
  });

  it('client-side apply, then server-side apply takes over, then client-side apply again', () => {
    const web = (app: string) =>
      writeManifest(
        plane,
        `web-${app}.yaml`,
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: ${app}\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n`,
      );
    expect(kubectl('apply', '-f', web('one')).trim()).toBe('pod/web created');
    expect(managers('pod', 'web')).toEqual(['kubectl-client-side-apply/Update']);

    // The label client-side apply set may change: kubectl takes its fields over, no conflict.
    expect(kubectl('apply', '--server-side', '-f', web('two')).trim()).toBe('pod/web serverside-applied');
    expect(label('pod', 'web', 'app')).toBe('two');
    expect(managers('pod', 'web')).toEqual(['kubectl-last-applied/Apply', 'kubectl/Apply']);
    const lastApplied = JSON.parse(
      kubectl(
        'get',
        'pod',
        'web',
        '-o',
        'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}',
      ),
    );
    expect(lastApplied.metadata.labels).toEqual({ app: 'two' });

    expect(kubectl('apply', '-f', web('three')).trim()).toBe('pod/web configured');
    expect(label('pod', 'web', 'app')).toBe('three');
    expect(managers('pod', 'web')).toContain('kubectl-client-side-apply/Update');
    // And back once more: the annotation still says what client-side apply last applied.
    expect(kubectl('apply', '--server-side', '-f', web('four')).trim()).toBe('pod/web serverside-applied');
    expect(label('pod', 'web', 'app')).toBe('four');
  });

  it('client-side apply of a pod server-side apply created adds the annotation it lacks', () => {
    // Warnings go to stderr.
    const { stdout, stderr } = status('apply', '-f', nginxExample);
    expect(stdout.trim()).toBe('pod/nginx configured');
    expect(stderr).toContain('missing the kubectl.kubernetes.io/last-applied-configuration annotation');
    expect(label('pod', 'nginx', 'app')).toBe('web');
    expect(managers('pod', 'nginx')).toContain('kubectl-client-side-apply/Update');
  });

  it('applies namespaces too, and labels them', () => {
    const ns = writeManifest(
      plane,
      'ns.yaml',
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-ssa\n  labels:\n    team: a\n',
    );
    expect(kubectl('apply', '--server-side', '-f', ns).trim()).toBe('namespace/team-ssa serverside-applied');
    expect(label('namespace', 'team-ssa', 'team')).toBe('a');
    expect(kubectl('label', 'namespace', 'team-ssa', 'env=prod').trim()).toBe('namespace/team-ssa labeled');
    expect(managers('namespace', 'team-ssa')).toEqual(['kubectl-label/Update', 'kubectl/Apply']);
    expect(kubectl('get', 'ns', 'team-ssa', '--show-labels')).toMatch(/env=prod/);
  });
});
