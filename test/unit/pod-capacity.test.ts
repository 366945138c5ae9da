import { describe, expect, it } from 'vitest';
import generated from '../../functions/core/nodes/instance-network-limits.generated.json' with {
  type: 'json',
};
import { awsvpcTaskLimit, instanceNetworkLimits } from '../../functions/core/nodes/pod-capacity';
import {
  buildInstanceTypes,
  githubSource,
  parseMaximumNetworkInterfaces,
  parseTrunkingTable,
  renderDocument,
  type SourceRecord,
} from '../../scripts/instance-network-limits';

/*
 * Expected numbers, looked up by hand in the sources the table is generated from:
 * - maximum network interfaces: aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go at
 *   b52188387f2e2f10bf289ace929d6a63b176a4fa (the sum of NetworkCards[].MaximumNetworkInterfaces;
 *   aws/amazon-vpc-resource-controller-k8s pkg/aws/vpc/limits.go at
 *   b8d425119bdba371202882b808f202c6073a46cc gives the same `Interface` for each):
 *   t4g.medium 3, m7g.large 3, c7g.xlarge 4, c5.large 3, c5.xlarge 4, m5.xlarge 4, r5.2xlarge 4,
 *   p4d.24xlarge 4 cards x 15 = 60.
 * - ECS's "Task limit without / with ENI trunking": awsdocs/amazon-ecs-developer-guide
 *   doc_source/container-instance-eni.md at 49232cf2ab3bbe78781a45fb1a4c4cf7eee8790a:
 *   m7g.large 2 / 10, c7g.xlarge 3 / 20, c5.large 2 / 10, c5.xlarge 3 / 20, m5.xlarge 3 / 20,
 *   r5.2xlarge 3 / 40, p4d.24xlarge 59 / 120; no t-family row (burstable types are not trunked).
 *   The page: "add two to the new task limit, as both the primary network interface and the trunk
 *   network interface count against the limit" (c5.large: 12 ENIs, 10 tasks).
 */
describe('instanceNetworkLimits', () => {
  it.each([
    ['t4g.medium', { maximumNetworkInterfaces: 3 }],
    ['m7g.large', { maximumNetworkInterfaces: 3, trunkingTaskLimit: 10 }],
    ['c7g.xlarge', { maximumNetworkInterfaces: 4, trunkingTaskLimit: 20 }],
    ['c5.large', { maximumNetworkInterfaces: 3, trunkingTaskLimit: 10 }],
    ['c5.xlarge', { maximumNetworkInterfaces: 4, trunkingTaskLimit: 20 }],
    ['m5.xlarge', { maximumNetworkInterfaces: 4, trunkingTaskLimit: 20 }],
    ['r5.2xlarge', { maximumNetworkInterfaces: 4, trunkingTaskLimit: 40 }],
    ['p4d.24xlarge', { maximumNetworkInterfaces: 60, trunkingTaskLimit: 120 }],
  ])('%s has the published limits', (instanceType, limits) => {
    expect(instanceNetworkLimits(instanceType)).toEqual(limits);
  });

  it('knows nothing of an unknown type, nor of names that are not instance types', () => {
    expect(instanceNetworkLimits('c5.huge')).toBeUndefined();
    expect(instanceNetworkLimits('')).toBeUndefined();
    expect(instanceNetworkLimits('toString')).toBeUndefined();
    expect(instanceNetworkLimits('__proto__')).toBeUndefined();
  });
});

describe('awsvpcTaskLimit', () => {
  it.each([
    // type, without trunking (ENIs - 1), with trunking (ECS's published task limit)
    ['t4g.medium', 2, 2],
    ['m7g.large', 2, 10],
    ['c7g.xlarge', 3, 20],
    ['c5.large', 2, 10],
    ['c5.xlarge', 3, 20],
    ['m5.xlarge', 3, 20],
    ['r5.2xlarge', 3, 40],
    ['p4d.24xlarge', 59, 120],
  ])('%s holds %i awsvpc tasks without trunking and %i with it', (instanceType, plain, trunked) => {
    expect(awsvpcTaskLimit(instanceType, false)).toBe(plain);
    expect(awsvpcTaskLimit(instanceType, true)).toBe(trunked);
  });

  it('gives a type ECS does not trunk its plain limit even with trunking on', () => {
    expect(instanceNetworkLimits('t4g.medium')?.trunkingTaskLimit).toBeUndefined();
    expect(awsvpcTaskLimit('t4g.medium', true)).toBe(awsvpcTaskLimit('t4g.medium', false));
  });

  it('is undefined for an unknown type, trunking or not', () => {
    expect(awsvpcTaskLimit('c5.huge', false)).toBeUndefined();
    expect(awsvpcTaskLimit('c5.huge', true)).toBeUndefined();
  });
});

describe('the generated table', () => {
  const types: Record<string, { maximumNetworkInterfaces: number; trunkingTaskLimit?: number }> =
    generated.instanceTypes;

  it('records where it was made from: a GitHub source by repository, path and commit', () => {
    for (const source of Object.values(generated.source) as SourceRecord[]) {
      expect(source.url).toMatch(/^https:\/\//);
      if (!source.repository) continue;
      expect(source.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(source.url).toBe(`https://github.com/${source.repository}/blob/${source.commit}/${source.path}`);
    }
    expect(generated.source.maximumNetworkInterfaces.repository).toBe('aws/amazon-vpc-cni-k8s');
    expect(generated.source.trunkingTaskLimit.repository).toBe('awsdocs/amazon-ecs-developer-guide');
  });

  it('is sorted, and every limit is a usable count', () => {
    const names = Object.keys(types);
    expect(names).toEqual([...names].sort());
    expect(names.length).toBeGreaterThan(1000);
    for (const limits of Object.values(types)) {
      expect(Number.isInteger(limits.maximumNetworkInterfaces) && limits.maximumNetworkInterfaces >= 1).toBe(
        true,
      );
      if (limits.trunkingTaskLimit !== undefined) expect(limits.trunkingTaskLimit).toBeGreaterThanOrEqual(1);
    }
  });

  it('is laid out as written by the generator', () => {
    expect(JSON.parse(renderDocument(generated))).toEqual(generated);
  });
});

describe('the generator', () => {
  // Filler rows so the fixtures pass the parsers' "is this the right file" size checks.
  const filler = Array.from({ length: 120 }, (_, i) => `x${i}.large`);

  it('adds up every network card of a Go limits table, as EC2 MaximumNetworkInterfaces does', () => {
    const go = [
      'var instanceNetworkingLimits = map[string]InstanceTypeLimits{',
      ...filler.map((name) => `\t"${name}": {\n\t\tENILimit: 3,\n\t},`),
      '\t"p4d.24xlarge": {',
      '\t\tENILimit:                15,',
      '\t\tNetworkCards: []NetworkCard{',
      ...[0, 1, 2, 3].map(
        (card) =>
          `\t\t\t{\n\t\t\t\tMaximumNetworkInterfaces: 15,\n\t\t\t\tNetworkCardIndex: ${card},\n\t\t\t},`,
      ),
      '\t\t},',
      '\t},',
      '}',
    ].join('\n');
    const limits = parseMaximumNetworkInterfaces(go);
    expect(limits.get('p4d.24xlarge')).toBe(60);
    expect(limits.get('x0.large')).toBe(3);
  });

  it('refuses a file that is not a limits table', () => {
    expect(() => parseMaximumNetworkInterfaces('package vpc\n')).toThrow(
      /not a generated EC2 network limits table/,
    );
  });

  const header = ['Instance type', 'Task limit without ENI trunking', 'Task limit with ENI trunking'];
  const rows = [
    ...filler.map((name) => [name, '2', '10']),
    ['c5.large', '2', '10'],
    ['m5n.large', '2', '10'],
  ];

  it('reads the trunking table and its not-supported list from the guide markdown', () => {
    const markdown = [
      'the `c5.metal` and `r5\\.8xlarge` instance types are not supported\\.',
      'The `m5n` and `z1d` instance families are not supported\\.',
      `| ${header.join(' | ')} | `,
      '| --- | --- | --- | ',
      ...rows.map((cells) => `| ${cells.map((cell) => cell.replaceAll('.', '\\.')).join(' | ')} | `),
      '| i4i\\.large | 2 | \\-2 | ',
    ].join('\n');
    const table = parseTrunkingTable(markdown);
    expect(table.rows.get('c5.large')).toEqual({ withoutTrunking: 2, withTrunking: 10 });
    expect(table.rows.get('i4i.large')).toEqual({ withoutTrunking: 2, withTrunking: -2 });
    expect([...table.unsupportedFamilies]).toEqual(['m5n', 'z1d']);
    expect(table.unsupportedTypes.has('c5.metal')).toBe(true);
  });

  it('reads the same from the live page HTML', () => {
    const html = [
      '<p>The <code class="code">m5n</code>, and\n<code class="code">z1d</code> instance families are not supported.</p>',
      `<table><tr>${header.map((cell) => `<th>${cell}</th>`).join('')}</tr>`,
      ...rows.map((cells) => `<tr>${cells.map((cell) => `<td tabindex="-1">${cell}</td>`).join('\n')}</tr>`),
      '</table>',
    ].join('\n');
    const table = parseTrunkingTable(html);
    expect(table.rows.get('c5.large')).toEqual({ withoutTrunking: 2, withTrunking: 10 });
    expect([...table.unsupportedFamilies]).toEqual(['m5n', 'z1d']);
  });

  it('leaves out trunking where the page also calls the type unsupported or gives no usable number', () => {
    const interfaces = new Map([
      ['c5.large', 3],
      ['m5n.large', 3],
      ['i4i.large', 3],
      ['t4g.medium', 3],
    ]);
    const table = {
      rows: new Map([
        ['c5.large', { withoutTrunking: 2, withTrunking: 10 }],
        ['m5n.large', { withoutTrunking: 2, withTrunking: 10 }],
        ['i4i.large', { withoutTrunking: 2, withTrunking: -2 }],
      ]),
      unsupportedTypes: new Set<string>(),
      unsupportedFamilies: new Set(['m5n']),
    };
    const notes: string[] = [];
    expect(buildInstanceTypes(interfaces, table, (note) => notes.push(note))).toEqual({
      'c5.large': { maximumNetworkInterfaces: 3, trunkingTaskLimit: 10 },
      'i4i.large': { maximumNetworkInterfaces: 3 },
      'm5n.large': { maximumNetworkInterfaces: 3 },
      't4g.medium': { maximumNetworkInterfaces: 3 },
    });
    expect(notes).toHaveLength(2);
  });

  it('records a GitHub source only when pinned to a commit', () => {
    const commit = 'b52188387f2e2f10bf289ace929d6a63b176a4fa';
    expect(
      githubSource(`https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/${commit}/pkg/vpc/a.go`),
    ).toEqual({
      repository: 'aws/amazon-vpc-cni-k8s',
      path: 'pkg/vpc/a.go',
      commit,
      url: `https://github.com/aws/amazon-vpc-cni-k8s/blob/${commit}/pkg/vpc/a.go`,
    });
    expect(() => githubSource('https://github.com/aws/amazon-vpc-cni-k8s/blob/master/pkg/vpc/a.go')).toThrow(
      /not a commit/,
    );
    expect(
      githubSource('https://docs.aws.amazon.com/AmazonECS/latest/developerguide/x.html'),
    ).toBeUndefined();
  });
});
