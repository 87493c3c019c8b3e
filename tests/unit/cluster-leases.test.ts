import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../services/broker/broker.service.ts';
import type { ClusterRepository } from '../../services/cluster/cluster.repository.ts';
import { JobLeases } from '../../services/cluster/job-leases.ts';
import { NodeRegistry, type FullSink } from '../../services/cluster/node-registry.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { Metrics } from '../../services/common/metrics.ts';

/** The lease table's rules in memory, on a clock the test moves (the real SQL runs in tests/integration/cluster.test.ts). */
class FakeLeaseTable {
  now = 0;
  failing = false;
  rows = new Map<string, { holder: string; expiresAt: number }>();
  async acquire(name: string, holder: string, leaseMs: number): Promise<boolean> {
    if (this.failing) throw new Error('database unreachable');
    const r = this.rows.get(name);
    if (!r || r.holder === holder || r.expiresAt <= this.now) {
      this.rows.set(name, { holder, expiresAt: this.now + leaseMs });
      return true;
    }
    return false;
  }
  async release(names: string[], holder: string): Promise<void> {
    for (const n of names) if (this.rows.get(n)?.holder === holder) this.rows.delete(n);
  }
}

function leases(table: FakeLeaseTable, nodeId: string): JobLeases {
  return new JobLeases({
    repo: table as unknown as ClusterRepository,
    nodeId,
    leaseMs: 3000,
    log: silentLogger(),
    metrics: new Metrics(),
    jobs: ['rollups', 'webhooks'],
    now: () => table.now,
  });
}

describe('job leases', () => {
  it('one node holds each job; the other takes it once the holder stops renewing and its lease expires', async () => {
    const table = new FakeLeaseTable();
    const a = leases(table, 'a');
    const b = leases(table, 'b');
    await a.renew();
    await b.renew();
    expect([a.owns('rollups'), b.owns('rollups')]).toEqual([true, false]);
    // a dies: b's renewals fail until the lease expires in the table, then succeed.
    table.now = 2000;
    await b.renew();
    expect(b.owns('rollups')).toBe(false);
    table.now = 3000;
    await b.renew();
    expect(b.owns('rollups')).toBe(true);
    expect(b.owns('webhooks')).toBe(true);
  });

  it('a holder cut off from the database stops running the job before its lease can be taken over', async () => {
    const table = new FakeLeaseTable();
    const a = leases(table, 'a');
    await a.renew();
    table.failing = true;
    table.now = 1999;
    await a.renew();
    expect(a.owns('rollups')).toBe(true);
    // Counted from when the renewal was sent: 2/3 of the 3 s lease, a full second before the table lets anyone else in.
    table.now = 2000;
    expect(a.owns('rollups')).toBe(false);
    expect(table.rows.get('rollups')!.expiresAt).toBe(3000);
  });

  it('gives its leases back when it stops, so a survivor takes them at once', async () => {
    const table = new FakeLeaseTable();
    const a = leases(table, 'a');
    const b = leases(table, 'b');
    await a.renew();
    await a.stop();
    await b.renew();
    expect(b.owns('rollups')).toBe(true);
  });

  it('a job nobody listed is not run until its lease was taken', async () => {
    const table = new FakeLeaseTable();
    const a = leases(table, 'a');
    expect(a.owns('new-job')).toBe(false);
    await a.renew();
    expect(a.owns('new-job')).toBe(true);
  });
});

/** cluster_connections in memory. */
class FakeConnections {
  owners = new Map<string, string>();
  async own(d: string, n: string): Promise<Date> {
    this.owners.set(d, n);
    return new Date();
  }
  async disown(d: string, n: string): Promise<Date | null> {
    if (this.owners.get(d) !== n) return null;
    this.owners.delete(d);
    return new Date();
  }
  async releaseNode(n: string): Promise<{ deviceId: string; at: Date }[]> {
    const ids = [...this.owners].filter(([, o]) => o === n).map(([d]) => d);
    for (const d of ids) this.owners.delete(d);
    return ids.map((deviceId) => ({ deviceId, at: new Date() }));
  }
  async renewNode(): Promise<void> {}
  async takeDeadNodes(): Promise<string[]> {
    return [];
  }
  async removeNode(): Promise<void> {}
}

function recordingSink(): FullSink & { statuses: string[]; stored: string[] } {
  const statuses: string[] = [];
  const stored: string[] = [];
  return {
    statuses,
    stored,
    accept: async (m) => void stored.push(`${m.deviceId}:${m.channel}`),
    acceptWith: (m, done) => {
      stored.push(`${m.deviceId}:${m.channel}`);
      done();
    },
    refused: () => undefined,
    connection: (d, _k, c, r) => void statuses.push(`${d}:${c ? 'online' : 'offline'}:${r}`),
  };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
const msg = (deviceId: string, channel: InboundMessage['channel']): InboundMessage => ({
  deviceId,
  kind: 'streetlight',
  channel,
  topic: `sw/v1/${deviceId}/${channel}`,
  payload: Buffer.from('{}'),
  qos: 1,
  receivedAt: new Date(),
});

describe('connection ownership', () => {
  const registry = (conns: FakeConnections, nodeId: string): NodeRegistry =>
    new NodeRegistry({
      repo: conns as unknown as ClusterRepository,
      nodeId,
      leaseMs: 3000,
      jobs: { owns: () => true },
      log: silentLogger(),
      metrics: new Metrics(),
    });

  it('the node a device left does not record it offline once it connected to another node', async () => {
    const conns = new FakeConnections();
    const sinkA = recordingSink();
    const sinkB = recordingSink();
    const a = registry(conns, 'a').wrap(sinkA);
    const b = registry(conns, 'b').wrap(sinkB);
    a.connection('sl-1', 'streetlight', true, 'connected');
    await settle();
    b.connection('sl-1', 'streetlight', true, 'connected');
    await settle();
    a.connection('sl-1', 'streetlight', false, 'disconnected');
    await settle();
    expect(sinkA.statuses).toEqual(['sl-1:online:connected']);
    expect(sinkB.statuses).toEqual(['sl-1:online:connected']);
    expect(conns.owners.get('sl-1')).toBe('b');
    // Its own disconnect still counts.
    b.connection('sl-1', 'streetlight', false, 'disconnected');
    await settle();
    expect(sinkB.statuses).toEqual(['sl-1:online:connected', 'sl-1:offline:disconnected']);
  });

  it('after a takeover the old node drops the will of the moved device but keeps its other messages and other devices', async () => {
    const conns = new FakeConnections();
    const sink = recordingSink();
    const reg = registry(conns, 'a');
    const a = reg.wrap(sink);
    reg.takenOver('sl-2');
    a.acceptWith(msg('sl-2', 'status'), () => undefined);
    a.acceptWith(msg('sl-2', 'telemetry'), () => undefined);
    a.acceptWith(msg('sl-3', 'status'), () => undefined);
    expect(sink.stored).toEqual(['sl-2:telemetry', 'sl-3:status']);
    // Back on this node: its birth counts again.
    a.connection('sl-2', 'streetlight', true, 'connected');
    a.acceptWith(msg('sl-2', 'status'), () => undefined);
    expect(sink.stored).toEqual(['sl-2:telemetry', 'sl-3:status', 'sl-2:status']);
  });

  it('a restarted node records offline what its earlier life still held', async () => {
    const conns = new FakeConnections();
    conns.owners.set('sl-4', 'a');
    conns.owners.set('sl-5', 'b');
    const sink = recordingSink();
    const reg = registry(conns, 'a');
    reg.wrap(sink);
    await reg.start();
    await reg.stop();
    expect(sink.statuses).toEqual(['sl-4:offline:node-restart']);
    expect(conns.owners.get('sl-5')).toBe('b');
  });
});
