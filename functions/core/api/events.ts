import type { Event } from '../events';
import type { EventStore } from '../ports';
import { listResourceVersion } from '../resource-version';
import { type ApiRequest, type ApiResponse, json } from './http';
import { wantsTable } from './pod-list';
import { age } from './pod-table';
import { isWatch, matchesFieldSelector, parseFieldSelector, type SelectableFields } from './selectors';
import { table, tableJson, withRowObjects } from './tables';
import { watch } from './watch';

export const eventFields: SelectableFields<Event> = {
  'metadata.name': (e) => e.metadata?.name ?? '',
  'metadata.namespace': (e) => e.metadata?.namespace ?? '',
  'involvedObject.kind': (e) => e.involvedObject.kind ?? '',
  'involvedObject.namespace': (e) => e.involvedObject.namespace ?? '',
  'involvedObject.name': (e) => e.involvedObject.name ?? '',
  'involvedObject.uid': (e) => e.involvedObject.uid ?? '',
  'involvedObject.apiVersion': (e) => e.involvedObject.apiVersion ?? '',
  'involvedObject.resourceVersion': (e) => e.involvedObject.resourceVersion ?? '',
  'involvedObject.fieldPath': (e) => e.involvedObject.fieldPath ?? '',
  reason: (e) => e.reason ?? '',
  reportingComponent: (e) => e.reportingComponent ?? '',
  source: (e) => e.source?.component ?? '',
  type: (e) => e.type ?? '',
};

export interface EventDeps {
  readonly events: EventStore;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

/** GET events: what `kubectl get events` and `kubectl describe` read. */
export async function listEvents(
  namespace: string | undefined,
  request: ApiRequest,
  deps: EventDeps,
): Promise<ApiResponse> {
  const fields = parseFieldSelector(request.query.fieldSelector, eventFields);
  const startedAt = deps.now();
  const read = async () =>
    (await deps.events.listEvents(namespace))
      .filter((e) => matchesFieldSelector(e, fields, eventFields))
      .sort(
        (a, b) =>
          (a.lastTimestamp ?? '').localeCompare(b.lastTimestamp ?? '') ||
          (a.eventTime ?? '').localeCompare(b.eventTime ?? ''),
      );
  if (isWatch(request)) {
    const selected = (e: Event) => matchesFieldSelector(e, fields, eventFields);
    const present = (e: Event) =>
      wantsTable(request)
        ? withRowObjects(eventTable([e], deps.now(), e.metadata?.resourceVersion ?? ''), request, 'Event')
        : e;
    return watch(
      request,
      {
        list: () => deps.events.listEvents(namespace),
        changesSince: (rv, seen) => deps.events.eventChangesSince(namespace, rv, seen),
      },
      {
        kind: 'Event',
        keyOf: (e) => `${e.metadata?.namespace}/${e.metadata?.name}`,
        resourceVersionOf: (e) => Number(e.metadata?.resourceVersion ?? 0),
        selected,
        present,
      },
      deps,
    );
  }
  const items = await read();
  const resourceVersion = listResourceVersion(startedAt);
  if (wantsTable(request)) return tableJson(request, 'Event', eventTable(items, deps.now(), resourceVersion));
  return json(200, { kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion }, items });
}

/** kubectl get events: LAST SEEN TYPE REASON OBJECT MESSAGE. */
function eventTable(events: readonly Event[], now: Date, resourceVersion: string) {
  return table(
    [{ name: 'Last Seen' }, { name: 'Type' }, { name: 'Reason' }, { name: 'Object' }, { name: 'Message' }],
    events,
    (e) => [
      age(e.lastTimestamp ?? e.firstTimestamp, now),
      e.type ?? '',
      e.reason ?? '',
      `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`,
      e.message ?? '',
    ],
    resourceVersion,
  );
}
