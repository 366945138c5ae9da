import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { dynamo } from '../functions/adapters/dynamodb/client';
import { type ObjectItem, objectFromItem } from '../functions/adapters/dynamodb/items';
import { decodeBody } from '../functions/adapters/dynamodb/stored-body';
import type { Event } from '../functions/core/events';
import type { Pod } from '../functions/core/k8s';
import { objectsTable } from '../functions/wiring';
import { round } from './stats';

/** Write units of one kind of write: how many calls, and what the table and each index charged. */
export interface WriteKind {
  calls: number;
  units: number;
  table: number;
  /**
   * At least what AWS would charge: for a transaction two units per item (and KB) and an index
   * write per item that sets an index key. DynamoDB Local charges a transaction by the size of
   * its items together (a 100-pod binding transaction reports a few units), so its figure for
   * transactions is far below AWS's; for other writes the two agree.
   */
  aws: number;
  indexes: Record<string, number>;
  /** For event items: how many events of each reason they held (a bundle holds several). */
  events: Record<string, number>;
}

const empty = (): WriteKind => ({ calls: 0, units: 0, table: 0, aws: 0, indexes: {}, events: {} });

/**
 * Where a run's write units go, by kind of write ("pod create", "events: Pulled+Created+Started",
 * "transaction: pod → launch + node counters", ...). A middleware on the adapters' client asks
 * DynamoDB for capacity per index (ReturnConsumedCapacity INDEXES instead of the adapters' TOTAL:
 * the same total, split into the table and each global secondary index) and files each answer
 * under a label read from the request. It is added from the benchmark, so the adapters stay the
 * code that runs on Lambda.
 */
export function meterWritesByKind(): { snapshot(): Map<string, WriteKind> } {
  const kinds = new Map<string, WriteKind>();
  dynamo().middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const label = writeLabel(context.commandName ?? '', input);
      if (label && input.ReturnConsumedCapacity === 'TOTAL') input.ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
        .ConsumedCapacity;
      if (label && consumed) {
        const kind = kinds.get(label) ?? empty();
        kind.calls += 1;
        let table = 0;
        for (const c of Array.isArray(consumed) ? consumed : [consumed]) {
          kind.units += c.CapacityUnits ?? c.WriteCapacityUnits ?? 0;
          table += c.Table?.CapacityUnits ?? c.Table?.WriteCapacityUnits ?? 0;
          for (const [name, index] of Object.entries(c.GlobalSecondaryIndexes ?? {}))
            kind.indexes[name] =
              (kind.indexes[name] ?? 0) + (index.CapacityUnits ?? index.WriteCapacityUnits ?? 0);
        }
        kind.table += table;
        const units = Array.isArray(consumed)
          ? consumed.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0)
          : (consumed.CapacityUnits ?? 0);
        kind.aws += Array.isArray(input.TransactItems)
          ? Math.max(
              units,
              awsTransactionFloor(input.TransactItems as Record<string, Record<string, unknown>>[]),
            )
          : units;
        for (const reason of eventBodies(input).flatMap(eventReasons))
          kind.events[reason] = (kind.events[reason] ?? 0) + 1;
        kinds.set(label, kind);
      }
      return result;
    },
    { step: 'initialize', name: 'podplaneBenchWriteUnits', override: true },
  );
  return {
    snapshot: () =>
      new Map(
        [...kinds].map(([label, k]) => [label, { ...k, indexes: { ...k.indexes }, events: { ...k.events } }]),
      ),
  };
}

/** What was written between two snapshots, per pod, largest first, as lines for the log. */
export function writeBreakdown(
  before: Map<string, WriteKind>,
  after: Map<string, WriteKind>,
  pods: number,
): string[] {
  const perPod = (units: number) => round(units / pods, 2);
  const rows = [...after].map(([label, a]) => {
    const b = before.get(label) ?? empty();
    const indexes = Object.fromEntries(
      Object.entries(a.indexes)
        .map(([name, units]) => [name, units - (b.indexes[name] ?? 0)] as const)
        .filter(([, units]) => units > 0),
    );
    const events = Object.entries(a.events)
      .map(([reason, n]) => [reason, n - (b.events[reason] ?? 0)] as const)
      .filter(([, n]) => n > 0);
    return {
      label,
      events,
      calls: a.calls - b.calls,
      units: a.units - b.units,
      table: a.table - b.table,
      aws: a.aws - b.aws,
      indexes,
    };
  });
  const lines = rows
    .filter((r) => r.calls > 0)
    .sort((x, y) => y.units - x.units)
    .map((r) => {
      const indexes = Object.entries(r.indexes)
        .map(([name, units]) => `${name} ${perPod(units)}`)
        .join(', ');
      const aws = r.aws > r.units ? ` (at AWS's price ≥ ${perPod(r.aws)})` : '';
      const held = r.events.reduce((sum, [, n]) => sum + n, 0);
      const events =
        held > 0
          ? ` holding ${held} events (${r.events.map(([reason, n]) => `${reason} ${n}`).join(', ')})`
          : '';
      return (
        `  ${String(perPod(r.units)).padStart(6)} per pod  ${r.label}: ${r.calls} writes${events}, ` +
        `table ${perPod(r.table)}${aws}${indexes ? `, index ${indexes}` : ''}`
      );
    });
  const sum = (of: (r: (typeof rows)[number]) => number) => rows.reduce((total, r) => total + of(r), 0);
  const indexTotal = sum((r) => Object.values(r.indexes).reduce((s, u) => s + u, 0));
  const awsExtra = sum((r) => r.aws - r.units);
  return [
    `write units per pod by kind: ${perPod(sum((r) => r.units))}, of which indexes ${perPod(indexTotal)}` +
      (awsExtra > 0 ? `; at AWS's price for transactions at least ${perPod(sum((r) => r.aws))}` : ''),
    ...lines,
  ];
}

const indexKeys = objectsTable.indexes.map((index) => index.partitionKey);

/** AWS's least price for a transaction: 2 per item (each at most 1 KB), 1 per index key set. */
function awsTransactionFloor(items: readonly Record<string, Record<string, unknown>>[]): number {
  return items.reduce((sum, entry) => {
    const [op, request] = Object.entries(entry)[0] ?? [];
    if (!op || !request || op === 'ConditionCheck') return sum + (op ? 1 : 0);
    const expression = String(request.UpdateExpression ?? '').split(/\b(?:REMOVE|ADD|DELETE)\b/)[0] ?? '';
    const setsKey = indexKeys.some((key) =>
      op === 'Put'
        ? (request.Item as Record<string, unknown> | undefined)?.[key] !== undefined
        : new RegExp(`(^|[\\s,])${key}\\s*=`).test(expression),
    );
    return sum + 2 + (setsKey ? 1 : 0);
  }, 0);
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : ((value as { S?: string } | undefined)?.S ?? undefined);

/** The request's label, or undefined for reads. Inputs are the document client's (plain values). */
function writeLabel(command: string, input: Record<string, unknown>): string | undefined {
  if (command === 'TransactWriteItemsCommand') {
    const items = (input.TransactItems ?? []) as Record<string, Record<string, unknown>>[];
    const labels = items.map((entry) => {
      const [op, request] = Object.entries(entry)[0] ?? [];
      return op && request ? itemLabel(op, request) : '?';
    });
    // A batch's transaction: each kind once, "×n" where there are several.
    const counts = new Map<string, number>();
    for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
    return `transaction: ${[...counts].map(([label, n]) => (n > 1 ? `${label} ×n` : label)).join(' + ')}`;
  }
  if (command === 'BatchWriteItemCommand') {
    const requests = Object.values(
      (input.RequestItems ?? {}) as Record<string, Record<string, unknown>[]>,
    ).flat();
    const labels = requests.map((r) => {
      const [op, request] = Object.entries(r)[0] ?? [];
      return op === 'PutRequest' ? itemLabel('Put', request as Record<string, unknown>) : 'delete';
    });
    return `batch: ${[...new Set(labels)].join(', ')}`;
  }
  const single = /^(Put|Update|Delete)ItemCommand$/.exec(command)?.[1];
  return single ? itemLabel(single, input) : undefined;
}

function itemLabel(op: string, request: Record<string, unknown>): string {
  const keys = (request.Item ?? request.Key ?? {}) as Record<string, unknown>;
  const pk = text(keys.pk) ?? '';
  const kind = pk.startsWith('pods/')
    ? 'pod'
    : pk.startsWith('events/')
      ? 'events'
      : pk.startsWith('probes/')
        ? 'probe tick'
        : pk === 'nodes'
          ? 'node'
          : (pk.split('/')[0] ?? 'other');
  if (op === 'Delete') return `${kind} delete`;
  if (op === 'ConditionCheck') return `${kind} condition check`;
  if (kind === 'node')
    return String(request.UpdateExpression ?? '').includes('body') ? 'node sync' : 'node counters';
  if (kind === 'events') return 'events';
  if (kind !== 'pod') return kind;
  if (op === 'Put') return 'pod create';
  const values = (request.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const stage = text(values[':stage']);
  if (stage === 'deleted') return 'pod tombstone';
  if (!stage) return text(values[':schedule']) ? 'pod requeue' : 'pod update';
  return `pod → ${stage}${phaseOf(values[':body'])}`;
}

/** The bodies of the event items a Put or BatchWriteItem writes. */
function eventBodies(input: Record<string, unknown>): unknown[] {
  const batch = Object.values(
    (input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item?: unknown } }[]>,
  )
    .flat()
    .map((r) => r.PutRequest?.Item);
  return [input.Item, ...batch]
    .map((item) => item as { pk?: unknown; body?: unknown } | undefined)
    .filter((item) => text(item?.pk)?.startsWith('events/'))
    .map((item) => item?.body);
}

/** The reasons of the events an event item holds (one, or a bundle's). */
function eventReasons(body: unknown): string[] {
  try {
    const parsed = JSON.parse(decodeBody(body)) as Event | Event[];
    return (Array.isArray(parsed) ? parsed : [parsed]).map((e) => e.reason ?? '?');
  } catch {
    return ['?'];
  }
}

/** The phase and first container state the write stores, to tell a pod's status writes apart. */
function phaseOf(body: unknown): string {
  if (body === undefined) return '';
  try {
    const pod = objectFromItem<Pod>({ pk: '', sk: '', rv: 0, body } as unknown as ObjectItem);
    const state = pod.status?.containerStatuses?.[0]?.state;
    const detail = state?.waiting?.reason ?? (state?.running ? 'running' : state?.terminated?.reason);
    const deleting = pod.metadata?.deletionTimestamp ? ', deleting' : '';
    return ` (${pod.status?.phase ?? '?'}${detail ? `/${detail}` : ''}${deleting})`;
  } catch {
    return '';
  }
}
