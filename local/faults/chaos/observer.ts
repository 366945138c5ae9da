import { DescribeStreamCommand, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { podRecordFromStream } from '../../../functions/adapters/dynamodb/stream';
import { functionDefinitions } from '../../../functions/wiring';
import { StreamPoller } from '../../stream-poller';

/** What the table's stream showed about one pod (by uid) over the whole run. */
export interface PodHistory {
  readonly name: string;
  /** Bound to a node at some point. */
  bound: boolean;
  /** Some image showed a container running. */
  ran: boolean;
  /** The highest restartCount seen per container. */
  readonly restarts: Map<string, number>;
}

/**
 * A third reader of the objects table's stream, for checking only: it sees every change in
 * order (one partition's records are ordered), so it checks what must hold at every moment, not
 * only at the end: no node ever holds more than its allocatable, and no container's restart
 * count ever goes down. Violations are collected as they happen.
 */
export class StreamObserver {
  readonly violations: string[] = [];
  readonly pods = new Map<string, PodHistory>();
  private records = 0;
  private readonly poller: StreamPoller;
  private readonly nudger: NodeJS.Timeout;

  private constructor(client: DynamoDBStreamsClient, streamArn: string, namePrefix: string) {
    this.poller = new StreamPoller({
      client,
      streamArn,
      trigger: { ...functionDefinitions.scheduler.trigger, filters: [{ dynamodb: { NewImage: {} } }] },
      pollIntervalMs: 50,
      onDiscard: (_records, reason) => this.violations.push(`stream observer: ${reason}`),
      invoke: async (event) => {
        for (const record of event.Records) this.observe(record, namePrefix);
        return { batchItemFailures: [] };
      },
    });
    this.nudger = setInterval(() => this.poller.nudge(), 50);
  }

  static async start(
    client: DynamoDBStreamsClient,
    tableStreamArn: string,
    namePrefix: string,
  ): Promise<StreamObserver> {
    await client.send(new DescribeStreamCommand({ StreamArn: tableStreamArn }));
    const observer = new StreamObserver(client, tableStreamArn, namePrefix);
    observer.poller.start();
    return observer;
  }

  /** Records seen so far: the checks wait until it stops growing. */
  get seen(): number {
    return this.records;
  }

  async stop(): Promise<void> {
    clearInterval(this.nudger);
    await this.poller.stop();
  }

  private observe(record: DynamoDBRecord, namePrefix: string): void {
    this.records++;
    const image = record.dynamodb?.NewImage;
    const pk = image?.pk?.S ?? '';
    if (pk === 'nodes') this.observeNode(image ?? {});
    else if (pk.startsWith('pods/') && (image?.sk?.S ?? '').startsWith(namePrefix))
      this.observePod(image ?? {});
  }

  private observeNode(image: Record<string, AttributeValue>): void {
    const name = image.sk?.S ?? '';
    const number = (attribute: string) => Number(image[attribute]?.N ?? 0);
    for (const [used, allocatable] of [
      ['usedCpu', 'allocCpu'],
      ['usedMem', 'allocMem'],
      ['usedPods', 'allocPods'],
    ] as const) {
      if (image[allocatable] === undefined) continue;
      if (number(used) > number(allocatable))
        this.violations.push(
          `node ${name} over its allocatable: ${used} ${number(used)} > ${allocatable} ${number(allocatable)}`,
        );
      if (number(used) < 0) this.violations.push(`node ${name}: ${used} went below zero (${number(used)})`);
    }
  }

  private observePod(record: DynamoDBRecord): void {
    const pod = podRecordFromStream(record)?.pod;
    const uid = pod?.metadata?.uid;
    if (!pod || !uid) return;
    const name = pod.metadata?.name ?? '';
    let history = this.pods.get(uid);
    if (!history) {
      history = { name, bound: false, ran: false, restarts: new Map() };
      this.pods.set(uid, history);
    }
    if (pod.spec?.nodeName) history.bound = true;
    for (const status of pod.status?.containerStatuses ?? []) {
      if (status.state?.running) history.ran = true;
      const before = history.restarts.get(status.name);
      if (before !== undefined && status.restartCount < before)
        this.violations.push(
          `pod ${name} (${uid}): container ${status.name} restartCount went back from ${before} to ${status.restartCount}`,
        );
      history.restarts.set(status.name, Math.max(before ?? 0, status.restartCount));
    }
  }
}
