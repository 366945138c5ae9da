import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useControlPlane } from './control-plane';

// Every part `npm start` runs (the HTTPS API, DynamoDB Local, the ECS simulator, SQS) listens on
// the loopback interface only: nothing of the cluster's state, token grants included, is reachable
// from another host. Read from the kernel: the listening sockets the plane's processes (the Node
// process and every process under it, DynamoDB Local's Java among them) hold.

const plane = useControlPlane('podplane-loopback-');

/** The process and every process below it, from /proc/<pid>/stat's parent pids. */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parents) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

/** The socket inodes a process holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // Closed while we looked.
    }
  }
  return inodes;
}

interface Listener {
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
  readonly inode: string;
}

/** /proc/net's hex address: IPv4 as one little-endian word, IPv6 as four. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) =>
    (word.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)),
  );
  if (bytes.length === 4) return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) =>
    (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16),
  );
  // ::ffff:a.b.c.d, an IPv4 address on an IPv6 socket (as Java binds 127.0.0.1).
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff')
    return `::ffff:${bytes.slice(12).join('.')}`;
  return groups.join(':');
}

/**
 * Listening TCP sockets, and UDP sockets bound to a port with no peer (the ones that take
 * datagrams from anyone), as the network namespace of `pid` shows them.
 */
function listeners(pid: number): Listener[] {
  const found: Listener[] = [];
  for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${protocol}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const [, local = '', remote = '', state = '', , , , , , inode = ''] = line.trim().split(/\s+/);
      const listening = protocol.startsWith('tcp') ? state === '0A' : /^0+:0000$/.test(remote);
      if (!listening) continue;
      const [addressHex = '', portHex = ''] = local.split(':');
      found.push({ protocol, address: decodeAddress(addressHex), port: Number.parseInt(portHex, 16), inode });
    }
  }
  return found;
}

const isLoopback = (address: string) =>
  /^127\./.test(address) || address === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(address);

describe('npm start, seen from the network', () => {
  it('listens on 127.0.0.1 only: the API, DynamoDB Local, the ECS simulator and SQS', () => {
    const pids = processTree(plane.child.pid ?? 0);
    expect(pids).toContain(plane.dynamoDbPid);
    const held = new Set(pids.flatMap((pid) => [...socketInodes(pid)]));
    const ours = listeners(plane.child.pid ?? 0).filter((l) => held.has(l.inode));
    // The HTTPS API, the ECS simulator, SQS and DynamoDB Local at least: the check sees them all.
    expect(ours.filter((l) => l.protocol.startsWith('tcp')).length).toBeGreaterThanOrEqual(4);
    const apiPort = Number(new URL(plane.url).port);
    expect(ours.map((l) => l.port)).toContain(apiPort);
    const dynamoPort = Number(/DynamoDB Local: pid \d+ at http:\/\/\S+:(\d+)/.exec(plane.output())?.[1]);
    expect(ours.map((l) => l.port)).toContain(dynamoPort);
    expect(ours.filter((l) => !isLoopback(l.address))).toEqual([]);
  });
});
