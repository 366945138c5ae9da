import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesPattern, type Pattern } from '../../local/event-pattern';

// EventBridge content filtering, which Lambda event filtering shares: every key of the pattern
// must match; a list matches when the event value equals one of its entries (or, for an array
// in the event, when any element does); values match by type and exactly (5 is not "5");
// `exists` tests presence; `prefix` matches the start of a string.

const taskEvent = {
  version: '0',
  source: 'aws.ecs',
  'detail-type': 'ECS Task State Change',
  resources: ['arn:aws:ecs:us-west-2:111122223333:task/podplane/c13b4cb4'],
  detail: {
    clusterArn: 'arn:aws:ecs:us-west-2:111122223333:cluster/podplane',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    version: 4,
    containers: [{ name: 'app', lastStatus: 'RUNNING' }],
  },
};

const podStatusRule: Pattern = {
  source: ['aws.ecs'],
  'detail-type': ['ECS Task State Change'],
  detail: { lastStatus: ['RUNNING', 'STOPPED'] },
};

describe('matchesPattern', () => {
  it('matches an event whose values are listed in the pattern', () => {
    expect(matchesPattern(taskEvent, podStatusRule)).toBe(true);
    expect(
      matchesPattern({ ...taskEvent, detail: { ...taskEvent.detail, lastStatus: 'STOPPED' } }, podStatusRule),
    ).toBe(true);
  });

  it('does not match a value outside the list', () => {
    expect(
      matchesPattern({ ...taskEvent, detail: { ...taskEvent.detail, lastStatus: 'PENDING' } }, podStatusRule),
    ).toBe(false);
    expect(matchesPattern({ ...taskEvent, source: 'aws.ec2' }, podStatusRule)).toBe(false);
  });

  it('does not match when a field the pattern names is missing', () => {
    const { lastStatus: _dropped, ...detail } = taskEvent.detail;
    expect(matchesPattern({ ...taskEvent, detail }, podStatusRule)).toBe(false);
    const { detail: _none, ...noDetail } = taskEvent;
    expect(matchesPattern(noDetail, podStatusRule)).toBe(false);
  });

  it('matches anything with an empty pattern, and ignores fields the pattern does not name', () => {
    expect(matchesPattern(taskEvent, {})).toBe(true);
    expect(matchesPattern({ ...taskEvent, extra: { deep: [1, 2] } }, podStatusRule)).toBe(true);
  });

  it('matches a DynamoDB stream record on a nested attribute value, as the scheduler filter does', () => {
    const filter: Pattern = {
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { stage: { S: ['schedule'] } } },
    };
    const record = (eventName: string, stage: string) => ({
      eventName,
      dynamodb: { Keys: { pk: { S: 'pods/default' } }, NewImage: { stage: { S: stage }, rv: { N: '12' } } },
    });
    expect(matchesPattern(record('INSERT', 'schedule'), filter)).toBe(true);
    expect(matchesPattern(record('MODIFY', 'schedule'), filter)).toBe(true);
    expect(matchesPattern(record('MODIFY', 'launch'), filter)).toBe(false);
    expect(matchesPattern(record('REMOVE', 'schedule'), filter)).toBe(false);
  });

  it('matches exists: true only when the field is present', () => {
    const pattern: Pattern = { detail: { stopCode: [{ exists: true }] } };
    expect(matchesPattern({ detail: { stopCode: 'EssentialContainerExited' } }, pattern)).toBe(true);
    expect(matchesPattern({ detail: {} }, pattern)).toBe(false);
  });

  it('matches exists: false only when the field is absent', () => {
    const pattern: Pattern = { detail: { stopCode: [{ exists: false }] } };
    expect(matchesPattern({ detail: {} }, pattern)).toBe(true);
    expect(matchesPattern({ detail: { stopCode: 'TaskFailedToStart' } }, pattern)).toBe(false);
  });

  it('matches a prefix against the start of a string', () => {
    const pattern: Pattern = { detail: { clusterArn: [{ prefix: 'arn:aws:ecs:us-west-2:' }] } };
    expect(matchesPattern(taskEvent, pattern)).toBe(true);
    expect(
      matchesPattern(taskEvent, { detail: { clusterArn: [{ prefix: 'arn:aws:ecs:eu-west-1:' }] } }),
    ).toBe(false);
  });

  it('does not match a prefix against a number', () => {
    expect(matchesPattern({ detail: { version: 4 } }, { detail: { version: [{ prefix: '4' }] } })).toBe(
      false,
    );
  });

  it('matches an array in the event when any element is listed', () => {
    expect(matchesPattern({ tags: ['blue', 'green'] }, { tags: ['green', 'red'] })).toBe(true);
    expect(matchesPattern({ tags: ['blue', 'green'] }, { tags: ['red'] })).toBe(false);
    expect(
      matchesPattern(taskEvent, { resources: [{ prefix: 'arn:aws:ecs:us-west-2:111122223333:task/' }] }),
    ).toBe(true);
  });

  it('matches numbers, booleans and null by type as well as value', () => {
    expect(matchesPattern({ detail: { version: 4 } }, { detail: { version: [4] } })).toBe(true);
    expect(matchesPattern({ detail: { version: 4 } }, { detail: { version: ['4'] } })).toBe(false);
    expect(matchesPattern({ ok: true }, { ok: [true] })).toBe(true);
    expect(matchesPattern({ ok: 'true' }, { ok: [true] })).toBe(false);
    expect(matchesPattern({ gone: null }, { gone: [null] })).toBe(true);
    expect(matchesPattern({}, { gone: [null] })).toBe(false);
  });

  it('matches a string exactly: case and whole value count', () => {
    expect(matchesPattern({ s: 'running' }, { s: ['RUNNING'] })).toBe(false);
    expect(matchesPattern({ s: 'RUNNING!' }, { s: ['RUNNING'] })).toBe(false);
  });

  it('matches an event against a list exactly when the value is one of the listed ones', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), fc.string(), (allowed, value) => {
        expect(matchesPattern({ detail: { lastStatus: value } }, { detail: { lastStatus: allowed } })).toBe(
          allowed.includes(value),
        );
      }),
    );
  });
});
