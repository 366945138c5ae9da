import { notFound } from '../errors';
import type { Event } from '../events';
import { checkPreconditions } from './delete-options';
import { age } from './pod-table';
import type { ResourceStorage } from './registry/storage';
import type { SelectableFields } from './selectors';
import { table } from './tables';

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

/**
 * Events in the generic registry's reads: listed oldest first (by lastTimestamp, then eventTime),
 * watched through the change index.
 */
export const eventStorage: ResourceStorage<Event> = {
  resource: 'events',
  kind: 'Event',
  apiVersion: 'v1',
  fields: eventFields,
  table: (events, now, resourceVersion) => eventTable(events, now, resourceVersion),
  read: async (deps, key) =>
    (await deps.events.listEvents(key.namespace)).find((e) => e.metadata?.name === key.name),
  list: async (deps, namespace) =>
    (await deps.events.listEvents(namespace)).sort(
      (a, b) =>
        (a.lastTimestamp ?? '').localeCompare(b.lastTimestamp ?? '') ||
        (a.eventTime ?? '').localeCompare(b.eventTime ?? ''),
    ),
  changesSince: (deps, namespace, rv, seen) => deps.events.eventChangesSince(namespace, rv, seen),
  async delete(deps, key, options) {
    const event = await eventStorage.read(deps, key);
    if (!event) throw notFound('events', key.name);
    checkPreconditions(options.preconditions, event.metadata);
    await deps.events.deleteEvent(key.namespace, key.name);
    return { object: event, removed: true };
  },
  returnsDeletedObject: false,
  uidPerWrite: true,
  ordered: true,
};

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
