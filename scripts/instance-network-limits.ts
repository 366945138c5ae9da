import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Regenerates functions/core/nodes/instance-network-limits.generated.json, the per-instance-type
 * network limits behind a node's awsvpc pod capacity (functions/core/nodes/pod-capacity.ts), from
 * two maintained public sources rather than a hand-typed table:
 *
 * - `--interfaces`: a Go table generated from EC2 DescribeInstanceTypes, either aws/amazon-vpc-cni-k8s
 *   `pkg/vpc/vpc_ip_resource_limit.go` (made by its public scripts/gen_vpc_ip_limits.go, refreshed
 *   by a workflow) or aws/amazon-vpc-resource-controller-k8s `pkg/aws/vpc/limits.go`. An instance
 *   type's maximum network interfaces is the sum of its network cards' MaximumNetworkInterfaces,
 *   which is EC2's NetworkInfo.MaximumNetworkInterfaces (the CNI's own ENILimit is the default
 *   card's alone, so it undercounts multi-card types such as p4d.24xlarge: 15, not 60).
 * - `--trunking`: the ECS developer guide's ENI trunking table ("Task limit without ENI trunking",
 *   "Task limit with ENI trunking" per instance type), as the markdown of the archived
 *   awsdocs/amazon-ecs-developer-guide `doc_source/container-instance-eni.md` or as the HTML of
 *   the live page (eni-trunking-supported-instance-types.html). Types the same page names as not
 *   supported (by type or by family) get no trunking limit even where a table row lists them: the
 *   page contradicts itself there, and claiming too few pods is the failure that does no harm.
 *
 * Each input is a path or a URL. Where it came from is recorded in the JSON: a GitHub URL
 * (blob or raw, with a full commit) says so itself; a file in a git checkout is read from git; any
 * other file needs `--interfaces-origin` / `--trunking-origin` with the GitHub URL it was taken from.
 *
 *   npm run generate:network-limits -- \
 *     --interfaces https://github.com/aws/amazon-vpc-cni-k8s/blob/COMMIT/pkg/vpc/vpc_ip_resource_limit.go \
 *     --trunking https://github.com/awsdocs/amazon-ecs-developer-guide/blob/COMMIT/doc_source/container-instance-eni.md
 */

export const networkLimitsPath = new URL(
  '../functions/core/nodes/instance-network-limits.generated.json',
  import.meta.url,
);

/** Where one input came from, as recorded in the generated JSON. */
export interface SourceRecord {
  readonly repository?: string;
  readonly path?: string;
  readonly commit?: string;
  readonly url: string;
}

export interface InstanceTypeLimits {
  readonly maximumNetworkInterfaces: number;
  readonly trunkingTaskLimit?: number;
}

export interface NetworkLimitsDocument {
  readonly source: {
    readonly maximumNetworkInterfaces: SourceRecord;
    readonly trunkingTaskLimit: SourceRecord;
  };
  readonly generated: string;
  readonly instanceTypes: Readonly<Record<string, InstanceTypeLimits>>;
}

/** One row of ECS's trunking table. */
export interface TrunkingRow {
  readonly withoutTrunking: number;
  readonly withTrunking: number;
}

export interface TrunkingTable {
  readonly rows: ReadonlyMap<string, TrunkingRow>;
  /** Instance types and families the page says ENI trunking does not support. */
  readonly unsupportedTypes: ReadonlySet<string>;
  readonly unsupportedFamilies: ReadonlySet<string>;
}

const instanceTypePattern = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const instanceFamilyPattern = /^[a-z][a-z0-9-]*$/;

/**
 * Maximum network interfaces per instance type from a gofmt'ed Go map literal of either
 * generated file: each entry starts at one tab of indentation (`\t"c5.large": {`), and its
 * network cards each carry `MaximumNetworkInterfaces: N`.
 */
export function parseMaximumNetworkInterfaces(goSource: string): Map<string, number> {
  const limits = new Map<string, number>();
  let current: { name: string; cards: number[]; fallback?: number } | undefined;
  const finish = () => {
    if (!current) return;
    const total = current.cards.length ? current.cards.reduce((sum, n) => sum + n, 0) : current.fallback;
    if (!total || total < 1) throw new Error(`no network interface count for ${current.name}`);
    limits.set(current.name, total);
    current = undefined;
  };
  for (const line of goSource.split('\n')) {
    const start = /^\t"([^"]+)":\s*\{\s*$/.exec(line);
    if (start?.[1] && instanceTypePattern.test(start[1])) {
      finish();
      current = { name: start[1], cards: [] };
      continue;
    }
    if (!current) continue;
    if (/^\S/.test(line)) {
      finish();
      continue;
    }
    const card = /^\s+MaximumNetworkInterfaces:\s*(\d+)/.exec(line);
    if (card?.[1]) current.cards.push(Number(card[1]));
    const whole = /^\s+(?:Interface|ENILimit):\s*(\d+)/.exec(line);
    if (whole?.[1]) current.fallback = Number(whole[1]);
  }
  finish();
  if (limits.size < 100) {
    throw new Error(`found ${limits.size} instance types: not a generated EC2 network limits table`);
  }
  return limits;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** A table cell or paragraph as plain text: no tags, entities or markdown escapes. */
function plainText(fragment: string): string {
  return fragment
    .replace(/<[^>]*>/g, '')
    .replace(/&(#\d+|[a-z]+);/gi, (whole, name: string) =>
      name.startsWith('#') ? String.fromCodePoint(Number(name.slice(1))) : (entities[name] ?? whole),
    )
    .replace(/\\(.)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

function tableRows(page: string, html: boolean): string[][] {
  if (html) {
    return [...page.matchAll(/<tr[\s>][\s\S]*?<\/tr>/gi)].map((row) =>
      [...row[0].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/gi)].map((cell) => plainText(cell[1] ?? '')),
    );
  }
  return page
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .replace(/^\|/, '')
        .replace(/\|$/, '')
        .split(/(?<!\\)\|/)
        .map(plainText),
    );
}

/** The instance types and families named (in code spans) in the page's "are not supported" sentences. */
function unsupportedNames(page: string, html: boolean): string[] {
  const blocks = html ? page.split(/<\/(?:p|li|div|dd)>/i) : page.split('\n');
  const names: string[] = [];
  for (const block of blocks) {
    const text = plainText(block);
    if (!/not supported/i.test(text) || !/instance (?:type|famil)/i.test(text)) continue;
    const spans = html ? block.matchAll(/<code[^>]*>([\s\S]*?)<\/code>/gi) : block.matchAll(/`([^`]+)`/g);
    for (const span of spans) names.push(plainText(span[1] ?? ''));
  }
  return names;
}

/** ECS's ENI trunking table, from the developer guide's markdown or the live page's HTML. */
export function parseTrunkingTable(page: string): TrunkingTable {
  const html = /<tr[\s>]/i.test(page);
  if (!/task limit with ENI trunking/i.test(html ? plainText(page) : page.replace(/\\/g, ''))) {
    throw new Error('no "Task limit with ENI trunking" column: not the ECS ENI trunking page');
  }
  const rows = new Map<string, TrunkingRow>();
  for (const cells of tableRows(page, html)) {
    const [name, without, withTrunking] = cells;
    if (!name || !instanceTypePattern.test(name) || !/^-?\d+$/.test(without ?? '')) continue;
    if (!/^-?\d+$/.test(withTrunking ?? '')) continue;
    rows.set(name, { withoutTrunking: Number(without), withTrunking: Number(withTrunking) });
  }
  if (rows.size < 50)
    throw new Error(`found ${rows.size} trunking table rows: not the ECS ENI trunking page`);
  const unsupportedTypes = new Set<string>();
  const unsupportedFamilies = new Set<string>();
  for (const name of unsupportedNames(page, html)) {
    if (instanceTypePattern.test(name)) unsupportedTypes.add(name);
    else if (instanceFamilyPattern.test(name)) unsupportedFamilies.add(name);
  }
  return { rows, unsupportedTypes, unsupportedFamilies };
}

/**
 * The table: every instance type with a known interface count, and the ECS trunking limit where
 * the page lists the type, does not also call it unsupported, and gives a usable (positive) number.
 * `warn` hears of every row left out or at odds with the interface count.
 */
export function buildInstanceTypes(
  interfaces: ReadonlyMap<string, number>,
  trunking: TrunkingTable,
  warn: (message: string) => void = () => {},
): Record<string, InstanceTypeLimits> {
  const types: Record<string, InstanceTypeLimits> = {};
  for (const name of [...interfaces.keys()].sort()) {
    const maximumNetworkInterfaces = interfaces.get(name) ?? 0;
    const row = trunking.rows.get(name);
    const family = name.slice(0, name.indexOf('.'));
    let trunkingTaskLimit: number | undefined;
    if (row) {
      if (row.withoutTrunking !== maximumNetworkInterfaces - 1) {
        warn(
          `${name}: ECS lists ${row.withoutTrunking} tasks without trunking, EC2 ${maximumNetworkInterfaces} interfaces`,
        );
      }
      if (trunking.unsupportedTypes.has(name) || trunking.unsupportedFamilies.has(family)) {
        warn(`${name}: in the trunking table but also named as not supported; no trunking limit`);
      } else if (row.withTrunking < 1) {
        warn(`${name}: trunking task limit ${row.withTrunking} is not a usable number; no trunking limit`);
      } else {
        trunkingTaskLimit = row.withTrunking;
      }
    }
    types[name] =
      trunkingTaskLimit === undefined
        ? { maximumNetworkInterfaces }
        : { maximumNetworkInterfaces, trunkingTaskLimit };
  }
  for (const name of trunking.rows.keys()) {
    if (!interfaces.has(name))
      warn(`${name}: in the trunking table but not in the interfaces table; left out`);
  }
  return types;
}

/** The JSON as biome lays it out: one line per instance type, so a refresh diffs line by line. */
export function renderDocument(document: NetworkLimitsDocument): string {
  const names = Object.keys(document.instanceTypes).sort();
  const source = JSON.stringify(document.source, null, 2).replace(/\n/g, '\n  ');
  const inline = (limits: InstanceTypeLimits) =>
    `{ ${Object.entries(limits)
      .map(([key, value]) => `${JSON.stringify(key)}: ${value}`)
      .join(', ')} }`;
  return [
    '{',
    `  "source": ${source},`,
    `  "generated": ${JSON.stringify(document.generated)},`,
    '  "instanceTypes": {',
    ...names.map((name, i) => {
      const limits = document.instanceTypes[name] as InstanceTypeLimits;
      return `    ${JSON.stringify(name)}: ${inline(limits)}${i < names.length - 1 ? ',' : ''}`;
    }),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** A GitHub blob or raw URL pinned to a full commit, as repository, path and commit. */
export function githubSource(url: string): SourceRecord | undefined {
  const match =
    /^https:\/\/github\.com\/([^/]+\/[^/]+)\/(?:blob|raw)\/([^/]+)\/(.+)$/.exec(url) ??
    /^https:\/\/raw\.githubusercontent\.com\/([^/]+\/[^/]+)\/([^/]+)\/(.+)$/.exec(url);
  if (!match) return undefined;
  const [, repository, commit, path] = match as unknown as [string, string, string, string];
  if (!/^[0-9a-f]{40}$/.test(commit)) {
    throw new Error(`${url} names "${commit}", not a commit: use a permalink (a full 40-hex commit)`);
  }
  return { repository, path, commit, url: `https://github.com/${repository}/blob/${commit}/${path}` };
}

function rawUrl(url: string): string {
  const source = githubSource(url);
  return source?.repository
    ? `https://raw.githubusercontent.com/${source.repository}/${source.commit}/${source.path}`
    : url;
}

/** Where a local file came from, if it sits unmodified in a git checkout of a GitHub repository. */
function gitCheckoutSource(file: string): SourceRecord | undefined {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dirname(file), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const remote = git('remote', 'get-url', 'origin');
    const repository = /github\.com[/:]([^/]+\/[^/]+?)(?:\.git)?$/.exec(remote)?.[1];
    if (!repository || git('status', '--porcelain', '--', file) !== '') return undefined;
    const path = git('ls-files', '--full-name', '--error-unmatch', '--', file);
    return githubSource(`https://github.com/${repository}/blob/${git('rev-parse', 'HEAD')}/${path}`);
  } catch {
    return undefined;
  }
}

async function readInput(input: string, origin: string | undefined, flag: string) {
  const isUrl = /^https?:\/\//.test(input);
  let text: string;
  if (isUrl) {
    const response = await fetch(rawUrl(input));
    if (!response.ok) throw new Error(`${input}: HTTP ${response.status}`);
    text = await response.text();
  } else {
    text = readFileSync(input, 'utf8');
  }
  const source = origin
    ? (githubSource(origin) ?? { url: origin })
    : isUrl
      ? (githubSource(input) ?? { url: input })
      : gitCheckoutSource(resolve(input));
  if (!source) {
    throw new Error(
      `say where ${input} came from: --${flag}-origin https://github.com/OWNER/REPO/blob/COMMIT/PATH`,
    );
  }
  return { text, source };
}

async function main() {
  const { values } = parseArgs({
    options: {
      interfaces: { type: 'string' },
      'interfaces-origin': { type: 'string' },
      trunking: { type: 'string' },
      'trunking-origin': { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (!values.interfaces || !values.trunking) {
    throw new Error('usage: --interfaces <path|url> --trunking <path|url> [--*-origin <url>] [--out <path>]');
  }
  const interfaces = await readInput(values.interfaces, values['interfaces-origin'], 'interfaces');
  const trunking = await readInput(values.trunking, values['trunking-origin'], 'trunking');
  const instanceTypes = buildInstanceTypes(
    parseMaximumNetworkInterfaces(interfaces.text),
    parseTrunkingTable(trunking.text),
    (message) => console.warn(`note: ${message}`),
  );
  const document: NetworkLimitsDocument = {
    source: { maximumNetworkInterfaces: interfaces.source, trunkingTaskLimit: trunking.source },
    generated: new Date().toISOString().slice(0, 10),
    instanceTypes,
  };
  const out = values.out ?? fileURLToPath(networkLimitsPath);
  writeFileSync(out, renderDocument(document));
  const trunked = Object.values(instanceTypes).filter(
    (limits) => limits.trunkingTaskLimit !== undefined,
  ).length;
  console.log(`wrote ${out}: ${Object.keys(instanceTypes).length} instance types, ${trunked} with trunking`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
