/**
 * Three real service processes sharing one PostgreSQL database and one Redis, HAProxy (TCP mode) in front (issue 12).
 * Skips, saying why, when Redis or HAProxy is absent.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { CLUSTER_JOBS } from '../../services/cluster/job-leases.ts';
import { ClusterStack, METRICS_TOKEN, api, clusterUnavailable, login } from '../../bench/lib/cluster-stack.ts';
import { waitFor } from '../helpers/test-app.ts';

const why = await clusterUnavailable();
if (why) console.warn(`cluster tests skipped: ${why}`);

const LEASE_MS = 2000;
/** The configured ward (SW_WARD_CODE's default) and a second one the tenancy case adds. */
const WARD_A = '22330';
const WARD_B = '22331';

/** Reads a node's SSE stream into a string the test can search. */
async function openLive(base: string, token: string): Promise<{ text: () => string; close: () => void }> {
  const ctl = new AbortController();
  const r = await fetch(`${base}/api/v1/live`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  if (r.status !== 200 || !r.body) throw new Error(`live stream: ${r.status}`);
  let text = '';
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return;
      text += dec.decode(value, { stream: true });
    }
  })();
  return { text: () => text, close: () => ctl.abort() };
}

/** Sum of a gauge's samples with the given label value, from one node's /metrics. */
async function gauge(base: string, name: string, label: string): Promise<number> {
  const r = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const body = await r.text();
  if (r.status !== 200) throw new Error(`/metrics: ${r.status} ${body.slice(0, 200)}`);
  let sum = 0;
  for (const line of body.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(label)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

describe.skipIf(why !== null)('cluster: three service processes behind HAProxy', () => {
  let s: ClusterStack;
  let token: string;
  const sims: SimulatedDevice[] = [];
  const clients: MqttClient[] = [];

  // The ward is named: once the tenancy case has added a second ward, a device without one is refused.
  const provision = async (id: string, wardCode = WARD_A): Promise<string> => {
    const r = await api<{ credentials: { password: string } }>(s.lb!.httpUrl, 'POST', '/api/v1/devices', {
      token,
      body: { id, kind: 'streetlight', name: id, wardCode },
    });
    if (r.status !== 201) throw new Error(`provision ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.credentials.password;
  };
  const sim = async (id: string, brokerUrl: string, reconnectDelayMs = 0): Promise<SimulatedDevice> => {
    const d = new SimulatedDevice({ brokerUrl, deviceId: id, secret: await provision(id), kind: 'streetlight', reconnectDelayMs });
    d.on('clientError', () => undefined);
    sims.push(d);
    await d.connect();
    return d;
  };
  const command = async (base: string, deviceId: string, level: number): Promise<string> => {
    const r = await api<{ id: string }>(base, 'POST', '/api/v1/commands', {
      token,
      body: { name: 'setLevel', target: { type: 'device', id: deviceId }, params: { level, reason: 'program' }, ttlS: 120 },
    });
    if (r.status !== 201) throw new Error(`command: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  };
  const commandState = async (base: string, id: string): Promise<string> =>
    (await api<{ command: { state: string } }>(base, 'GET', `/api/v1/commands/${id}`, { token })).body.command.state;
  const owner = async (deviceId: string): Promise<string | null> =>
    (await s.sql<{ node_id: string }>('SELECT node_id FROM cluster_connections WHERE device_id = $1', [deviceId]))[0]?.node_id ?? null;

  beforeAll(async () => {
    s = await ClusterStack.start({ nodes: 3, leaseMs: LEASE_MS });
    token = await login(s.lb!.httpUrl);
  }, 150_000);

  afterAll(async () => {
    for (const d of sims) await d.kill().catch(() => undefined);
    for (const c of clients) c.end(true);
    await s?.stop();
  }, 60_000);

  it('a command sent to one node reaches a device connected to another, and its ack is seen from a third', async () => {
    const [n1, n2, n3] = s.nodes;
    const d = await sim('sl-cl-cmd', n1!.mqttUrl);
    await waitFor(async () => (await owner('sl-cl-cmd')) === 'node-1');
    const id = await command(n3!.httpUrl, 'sl-cl-cmd', 42);
    await waitFor(async () => (await commandState(n2!.httpUrl, id)) === 'acknowledged', 15_000);
    expect(d.metrics().targetLevel).toBe(42);
  });

  it('each job has exactly one owner across the nodes, and the nodes agree with the lease table', async () => {
    const live = new Set(s.alive().map((n) => n.id));
    const leases = await s.sql<{ name: string; holder: string }>('SELECT name, holder FROM cluster_leases');
    for (const job of CLUSTER_JOBS) {
      const rows = leases.filter((l) => l.name === job);
      expect(rows, job).toHaveLength(1);
      expect(live.has(rows[0]!.holder), job).toBe(true);
      let held = 0;
      for (const n of s.alive()) held += await gauge(n.httpUrl, 'sw_cluster_job_lease_held', `job="${job}"`);
      expect(held, `${job}: nodes that think they own it`).toBe(1);
    }
  });

  it("the dashboard's live stream on one node shows reports and status changes from the others", async () => {
    const [n1, n2, n3] = s.nodes;
    const live = await openLive(n3!.httpUrl, token);
    try {
      await waitFor(async () => live.text().includes('event: hello'));
      const d = await sim('sl-cl-live', n2!.mqttUrl);
      await waitFor(async () => /event: device\.status\ndata: .*"deviceId":"sl-cl-live"/.test(live.text()), 10_000);
      const first = sims.find((x) => x.deviceId === 'sl-cl-cmd');
      await first!.publishTelemetry({ level: 17 });
      await d.publishTelemetry({ level: 18 });
      await waitFor(
        async () => /event: activity\ndata: .*"deviceId":"sl-cl-cmd"/.test(live.text()) && /event: activity\ndata: .*"deviceId":"sl-cl-live"/.test(live.text()),
        10_000,
      );
      expect(n1).toBeDefined();
    } finally {
      live.close();
    }
  });

  it("ward scoping holds on every node: ward A's operator gets 404 and 403 for ward B wherever the request lands, and a membership change made on one node applies on the others", async () => {
    const [n1, n2, n3] = s.nodes;
    expect((await api(n1!.httpUrl, 'POST', '/api/v1/wards', { token, body: { code: WARD_B, name: 'Phường Ba Ngòi' } })).status).toBe(201);
    await provision('sl-cl-ward-b', WARD_B);
    const password = 'a-long-password-1';
    expect((await api(n2!.httpUrl, 'POST', '/api/v1/users', { token, body: { username: 'cl-op-a', role: 'operator', password } })).status).toBe(201);
    expect((await api(n2!.httpUrl, 'PUT', '/api/v1/users/cl-op-a/wards', { token, body: { wards: [WARD_A] } })).status).toBe(200);
    const op = (await api<{ token: string }>(n3!.httpUrl, 'POST', '/api/v1/auth/login', { body: { username: 'cl-op-a', password } })).body.token;
    for (const n of s.nodes) {
      expect((await api(n.httpUrl, 'GET', '/api/v1/devices/sl-cl-ward-b', { token: op })).status, n.id).toBe(404);
      expect((await api(n.httpUrl, 'GET', `/api/v1/devices?ward=${WARD_B}`, { token: op })).status, n.id).toBe(403);
      expect((await api(n.httpUrl, 'GET', '/api/v1/devices/sl-cl-cmd', { token: op })).status, n.id).toBe(200);
      const cmd = await api(n.httpUrl, 'POST', '/api/v1/commands', {
        token: op,
        body: { name: 'setLevel', target: { type: 'device', id: 'sl-cl-ward-b' }, params: { level: 1, reason: 'program' }, ttlS: 60 },
      });
      expect(cmd.status, n.id).toBe(403);
      const listed = await api<{ items: { id: string }[] }>(n.httpUrl, 'GET', '/api/v1/devices?limit=1000', { token: op });
      expect(
        listed.body.items.some((d) => d.id === 'sl-cl-ward-b'),
        n.id,
      ).toBe(false);
    }
    // Scope is read from the database on every request: no node keeps an old membership.
    expect((await api(n1!.httpUrl, 'PUT', '/api/v1/users/cl-op-a/wards', { token, body: { wards: [WARD_A, WARD_B] } })).status).toBe(200);
    expect((await api(n3!.httpUrl, 'GET', '/api/v1/devices/sl-cl-ward-b', { token: op })).status).toBe(200);
    expect((await api(n2!.httpUrl, 'PUT', '/api/v1/users/cl-op-a/wards', { token, body: { wards: [WARD_A] } })).status).toBe(200);
    expect((await api(n1!.httpUrl, 'GET', '/api/v1/devices/sl-cl-ward-b', { token: op })).status).toBe(404);
    const audit = await s.sql<{ ward_code: string | null }>(`SELECT ward_code FROM audit_log WHERE actor = 'cl-op-a' AND action = 'command.send'`);
    expect(audit.map((r) => r.ward_code)).toEqual([WARD_A, WARD_A, WARD_A]);
  });

  it('when a node dies (kill -9): its devices move to survivors with their sessions, show offline then online, and its jobs move within seconds', async () => {
    // A device behind HAProxy that reconnects by itself, and one with a persistent session (clean: false) on the node
    // that will die, subscribed once and reconnecting without subscribing again.
    const roaming = await sim('sl-cl-roam', s.lb!.mqttUrl, 300);
    await waitFor(async () => Boolean(await owner('sl-cl-roam')));
    const victimId = (await owner('sl-cl-roam'))!;
    const victim = s.nodes.findIndex((n) => n.id === victimId);
    const persistentSecret = await provision('sl-cl-session');
    const connectPersistent = (url: string, resubscribe: boolean): Promise<{ c: MqttClient; sessionPresent: boolean }> =>
      new Promise((resolve, reject) => {
        const c = mqtt.connect(url, {
          clientId: 'sl-cl-session',
          username: 'sl-cl-session',
          password: persistentSecret,
          clean: false,
          protocolVersion: 4,
          reconnectPeriod: 0,
          resubscribe,
        });
        clients.push(c);
        c.once('connect', (ack) => resolve({ c, sessionPresent: ack.sessionPresent }));
        c.once('error', reject);
      });
    const first = await connectPersistent(s.nodes[victim]!.mqttUrl, true);
    await new Promise<void>((resolve, reject) => first.c.subscribe('sw/v1/sl-cl-session/cmd', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    await waitFor(async () => (await owner('sl-cl-session')) === victimId);
    const heldBefore = (await s.sql<{ name: string }>('SELECT name FROM cluster_leases WHERE holder = $1', [victimId])).length;

    const killedAt = Date.now();
    await s.kill(victim);
    const survivors = s.alive();
    expect(survivors).toHaveLength(2);

    // Jobs: every lease is held by a survivor within about one lease plus a renewal.
    await waitFor(
      async () => {
        const rows = await s.sql<{ holder: string }>('SELECT holder FROM cluster_leases');
        return rows.length === CLUSTER_JOBS.length && rows.every((r) => survivors.some((n) => n.id === r.holder));
      },
      15_000,
      100,
    );
    const jobsMovedMs = Date.now() - killedAt;
    if (heldBefore > 0) expect(jobsMovedMs).toBeLessThan(LEASE_MS * 4);

    // The device that did not come back is recorded offline by a survivor once the dead node's lease ran out.
    await waitFor(
      async () => {
        const r = await s.sql<{ online: boolean }>("SELECT online FROM device_state WHERE device_id = 'sl-cl-session'");
        return r[0]?.online === false;
      },
      15_000,
      100,
    );
    const reasons = await s.sql<{ reason: string }>("SELECT reason FROM status_events WHERE device_id = 'sl-cl-session' ORDER BY time DESC LIMIT 1");
    expect(reasons[0]?.reason).toBe('node-lost');

    // The roaming device reconnected through HAProxy to a survivor and is online there; commands flow again.
    await waitFor(
      async () => {
        const o = await owner('sl-cl-roam');
        return o !== null && o !== victimId;
      },
      15_000,
      100,
    );
    await waitFor(async () => (await s.sql<{ online: boolean }>("SELECT online FROM device_state WHERE device_id = 'sl-cl-roam'"))[0]?.online === true, 10_000);
    // To a survivor: a keep-alive connection through HAProxy may still be pinned to the dead node (POSTs are not retried).
    const id = await command(survivors[0]!.httpUrl, 'sl-cl-roam', 77);
    await waitFor(async () => (await commandState(s.lb!.httpUrl, id)) === 'acknowledged', 15_000);
    expect(roaming.metrics().targetLevel).toBe(77);

    // The persistent session lives in Redis: on a survivor it is still there, and the subscription made on the dead
    // node delivers a command without a new SUBSCRIBE.
    first.c.end(true);
    const again = await connectPersistent(survivors[0]!.mqttUrl, false);
    expect(again.sessionPresent).toBe(true);
    const got = new Promise<{ id: string }>((resolve) => again.c.on('message', (_t, p) => resolve(JSON.parse(p.toString()) as { id: string })));
    const cid = await command(survivors[1]!.httpUrl, 'sl-cl-session', 5);
    const received = await Promise.race([got, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    expect(received?.id).toBe(cid);
    await new Promise<void>((resolve, reject) =>
      again.c.publish('sw/v1/sl-cl-session/ack', JSON.stringify({ id: cid, status: 'ok', ts: Date.now(), result: {} }), { qos: 1 }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    await waitFor(async () => (await commandState(s.lb!.httpUrl, cid)) === 'acknowledged', 15_000);
    await waitFor(
      async () => (await s.sql<{ online: boolean }>("SELECT online FROM device_state WHERE device_id = 'sl-cl-session'"))[0]?.online === true,
      10_000,
    );
  }, 90_000);
});
