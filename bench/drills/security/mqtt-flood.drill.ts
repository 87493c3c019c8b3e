/**
 * Broker floods (issue 11): each drill attacks a running service while 20 valid devices keep publishing QoS 1 telemetry
 * every 200 ms; a drill passes only if the attack is refused with a counted reason and the valid devices lose nothing.
 */
import mqtt from 'mqtt';
import { currentRss } from '../../lib/report.ts';
import type { Drill } from '../lib/drill.ts';
import { closesWithin, connackCode, deviceConnect, fixedHeader, qos1Publish, rawConnect, sleep, subscribeMany, type RawConn } from './mqtt-kit.ts';
import { arena, logLines, mib } from './mqtt-attack-kit.ts';

const oversize: Drill = {
  name: 'mqtt: oversize declared packets (4 sockets x 150 MiB before CONNECT)',
  timeoutMs: 120_000,
  async run() {
    const a = await arena('big');
    const rss0 = currentRss(a.svc.proc.pid!);
    let peak = rss0;
    const chunk = Buffer.alloc(1 << 20, 0x41);
    const attack = async (i: number): Promise<number> => {
      const c = await rawConnect(a.svc.mqttPort, { localAddress: `127.0.0.${2 + i}` });
      c.socket.write(fixedHeader(0x10, 150 * 1048576));
      let sent = 0;
      // Stream the declared body until the service closes the connection (or all of it was sent).
      while (!c.isClosed() && sent < 150) {
        if (!c.socket.write(chunk)) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closed]);
        sent++;
        peak = Math.max(peak, currentRss(a.svc.proc.pid!));
      }
      await closesWithin(c, 5000);
      return sent;
    };
    const sentMiB = await Promise.all([0, 1, 2, 3].map(attack));
    await sleep(1000);
    peak = Math.max(peak, currentRss(a.svc.proc.pid!));
    const refused = await a.refused('action="packet",reason="PACKET_TOO_LARGE"');
    const counts = await a.finish({
      'refused PACKET_TOO_LARGE': refused,
      'MiB sent before close (max)': Math.max(...sentMiB),
      'RSS before MiB': mib(rss0),
      'RSS peak MiB': mib(peak),
    });
    const problem =
      counts.lost > 0
        ? `${counts.lost} valid messages lost`
        : refused < 4
          ? `only ${refused} of 4 refused`
          : peak - rss0 > 64 * 1048576
            ? `RSS grew ${mib(peak - rss0)} MiB`
            : null;
    await a.close(!problem);
    return { passed: !problem, detail: problem ?? 'refused at the fixed header; RSS flat; valid devices lost nothing', counts };
  },
};

const prelogin: Drill = {
  name: 'mqtt: pre-login flood (2,000 idle sockets from 8 addresses)',
  timeoutMs: 120_000,
  async run() {
    const a = await arena('pre', { SW_MQTT_CONNECT_TIMEOUT_MS: '5000' });
    const socks: RawConn[] = [];
    for (let i = 0; i < 2000; i++) socks.push(await rawConnect(a.svc.mqttPort, { localAddress: `127.0.1.${1 + (i % 8)}` }).catch(() => null as never));
    await sleep(1000);
    // A device that connects while the flood is on (from the valid address) must still get in.
    const [late] = await a.provision([`sec-pre-late`]);
    const t0 = Date.now();
    const ok = await mqtt
      .connectAsync(a.svc.mqttUrl, {
        clientId: late!.username,
        username: late!.username,
        password: late!.password,
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      })
      .then(
        async (c) => (await c.endAsync(), true),
        () => false,
      );
    const lateMs = Date.now() - t0;
    const refusedCodes = socks.filter((s) => s && connackCode(s) === 3).length;
    await sleep(6000); // past SW_MQTT_CONNECT_TIMEOUT_MS: the rest are closed by the service
    const stillOpen = socks.filter((s) => s && !s.isClosed()).length;
    for (const s of socks) s?.socket.destroy();
    const refused = await a.refused('action="connect",reason="TOO_MANY_PENDING"');
    const counts = await a.finish({
      'idle sockets': socks.length,
      'refused TOO_MANY_PENDING': refused,
      'got CONNACK 3': refusedCodes,
      'open after timeout': stillOpen,
      'late valid connect ms': lateMs,
    });
    const problem =
      counts.lost > 0
        ? `${counts.lost} valid messages lost`
        : !ok
          ? 'a valid device could not connect during the flood'
          : refused === 0
            ? 'nothing refused'
            : stillOpen > 0
              ? `${stillOpen} idle sockets still open`
              : null;
    await a.close(!problem);
    return { passed: !problem, detail: problem ?? 'bounded per address; extra connections get CONNACK 3; idle ones closed; valid devices unharmed', counts };
  },
};

const publishFlood: Drill = {
  name: 'mqtt: publish flood (one device, 5,000 QoS 1 messages at once)',
  timeoutMs: 120_000,
  async run() {
    const a = await arena('pub');
    const [bad] = await a.provision(['sec-pub-flooder']);
    const c = await rawConnect(a.svc.mqttPort, { localAddress: '127.0.0.9' });
    c.socket.write(deviceConnect(bad!.username, bad!.password));
    await sleep(500);
    const now = Date.now();
    c.socket.write(
      Buffer.concat(
        Array.from({ length: 5000 }, (_, i) =>
          qos1Publish(`sw/v1/${bad!.username}/telemetry`, (i % 65535) + 1, JSON.stringify({ ts: now - 5000 + i, metrics: { level: i % 100 } })),
        ),
      ),
    );
    await closesWithin(c, 5000);
    await sleep(1000);
    const refused = await a.refused('action="publish",reason="RATE_LIMITED"');
    const counts = await a.finish({ 'flood sent': 5000, 'refused RATE_LIMITED': refused });
    const { storedOnPg } = await import('../faults/fault-kit.ts');
    const floodStored = (await storedOnPg(a.dbUrl, [bad!.username])).rows;
    counts['flood stored'] = floodStored;
    const problem =
      counts.lost > 0
        ? `${counts.lost} valid messages lost`
        : floodStored > 320
          ? `${floodStored} flood messages stored (burst is 300)`
          : refused === 0
            ? 'nothing refused'
            : null;
    await a.close(!problem);
    return { passed: !problem, detail: problem ?? 'cut at the per-device burst and counted; valid devices lost nothing', counts };
  },
};

const subscribeFlood: Drill = {
  name: 'mqtt: subscription flood (10,000 refused filters in one SUBSCRIBE)',
  timeoutMs: 120_000,
  async run() {
    const a = await arena('sub');
    const [bad] = await a.provision(['sec-sub-flooder']);
    const c = await rawConnect(a.svc.mqttPort, { localAddress: '127.0.0.10' });
    c.socket.write(deviceConnect(bad!.username, bad!.password));
    await sleep(500);
    c.socket.write(
      subscribeMany(
        1,
        Array.from({ length: 10_000 }, (_, i) => `sw/v1/victim-${i}/cmd`),
      ),
    );
    const cut = await closesWithin(c, 5000);
    await sleep(500);
    const flood = await a.refused('action="subscribe",reason="SUBSCRIBE_FLOOD"');
    const counts = await a.finish({ 'filters sent': 10_000, 'refused SUBSCRIBE_FLOOD': flood, 'log lines "MQTT refused"': 0 });
    counts['log lines "MQTT refused"'] = logLines(a.svc, /MQTT refused/);
    const problem =
      counts.lost > 0
        ? `${counts.lost} valid messages lost`
        : !cut
          ? 'the flooder stayed connected'
          : Number(counts['log lines "MQTT refused"']) > 20
            ? `${counts['log lines "MQTT refused"']} log lines`
            : null;
    await a.close(!problem);
    return { passed: !problem, detail: problem ?? 'disconnected after a few refused filters; a handful of log lines; valid devices lost nothing', counts };
  },
};

const deepJson: Drill = {
  name: 'mqtt: deep JSON (an ack nested 7,000 levels), then a real command is still acknowledged',
  timeoutMs: 120_000,
  async run() {
    const a = await arena('deep');
    const [bad, good] = await a.provision(['sec-deep-bad', 'sec-deep-good']);
    const opts = (c: typeof bad) => ({ clientId: c!.username, username: c!.username, password: c!.password, protocolVersion: 4 as const, reconnectPeriod: 0 });
    const attacker = await mqtt.connectAsync(a.svc.mqttUrl, opts(bad));
    const deep = `{"id":"c-deep","status":"ok","result":${'['.repeat(7000)}${']'.repeat(7000)}}`;
    for (let i = 0; i < 10; i++) await attacker.publishAsync(`sw/v1/${bad!.username}/ack`, deep, { qos: 1 });
    await attacker.endAsync();
    const dev = await mqtt.connectAsync(a.svc.mqttUrl, opts(good));
    await dev.subscribeAsync(`sw/v1/${good!.username}/cmd`, { qos: 1 });
    dev.on('message', (_t, p) => {
      const id = (JSON.parse(p.toString()) as { id: string }).id;
      void dev.publishAsync(`sw/v1/${good!.username}/ack`, JSON.stringify({ id, status: 'ok' }), { qos: 1 });
    });
    const post = await fetch(`${a.svc.httpUrl}/api/v1/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${a.token}` },
      body: JSON.stringify({
        id: 'deep-after',
        name: 'setLevel',
        params: { level: 40, expiresAt: new Date(Date.now() + 3600_000).toISOString() },
        target: { type: 'device', id: good!.username },
        maxAttempts: 1,
      }),
    });
    let acked = false;
    const until = Date.now() + 15_000;
    while (post.ok && !acked && Date.now() < until) {
      await sleep(300);
      const r = await fetch(`${a.svc.httpUrl}/api/v1/commands/deep-after`, { headers: { authorization: `Bearer ${a.token}` } });
      acked = (await r.text()).includes('"acknowledged"');
    }
    await dev.endAsync();
    const dl = await fetch(`${a.svc.httpUrl}/api/v1/dead-letters?device=${bad!.username}`, { headers: { authorization: `Bearer ${a.token}` } });
    const deadDeep = ((await dl.json()) as { items: { reasonCode: string }[] }).items.filter((x) => x.reasonCode === 'JSON_TOO_DEEP').length;
    const counts = await a.finish({ 'deep acks sent': 10, 'dead-lettered JSON_TOO_DEEP': deadDeep, 'next command acknowledged': acked ? 'yes' : 'no' });
    const problem =
      counts.lost > 0
        ? `${counts.lost} valid messages lost`
        : deadDeep !== 10
          ? `${deadDeep} of 10 dead-lettered`
          : !acked
            ? 'the next command was not acknowledged'
            : null;
    await a.close(!problem);
    return { passed: !problem, detail: problem ?? 'dead-lettered with a reason; command acknowledgement unharmed; valid devices lost nothing', counts };
  },
};

export const drills: Drill[] = [oversize, prelogin, publishFlood, subscribeFlood, deepJson];
