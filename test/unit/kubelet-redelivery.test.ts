import { describe, expect, it } from 'vitest';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { ec2Node, setup } from './kubelet-harness';

// A stream batch retried from an earlier record's failure delivers the records after it again.
// A launch record whose task the kubelet already launched and recorded asks ECS nothing more:
// RunTask's client token would return the same task, but the call would still spend one of
// ECS's 20 RunTask calls a second.

describe('a launch record delivered again', () => {
  it('launches once when the kubelet has recorded its task', async () => {
    const { first, deps, launches } = await setup(ec2Node());
    await syncPod(first, deps);
    await syncPod(first, deps);
    expect(launches).toEqual(['web']);
  });

  it('launches nothing for a pod deleted or gone since the record was written', async () => {
    const { stores, first, deps, launches } = await setup(ec2Node());
    const record = await stores.pods.getPod('default', 'web', true);
    if (!record) throw new Error('missing');
    await stores.pods.deletePod(record);
    await syncPod(first, deps);
    expect(launches).toEqual([]);
  });
});
