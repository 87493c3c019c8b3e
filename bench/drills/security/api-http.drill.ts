/**
 * The HTTP API under hostile clients (README "Security"): hostile bodies and queries over real sockets, a login storm,
 * sessions ending with their rights, and the live relay pointed at the service's own loopback. Each drill starts a
 * service process of its own (embedded database) on loopback ports.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Drill } from '../lib/drill.ts';
import { adminToken, startService } from '../lib/service.ts';
import { startCameraFleet } from '../../../simulators/onvif/camera-fleet.ts';

const json = (token: string | null, body?: unknown, raw?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: raw ?? JSON.stringify(body),
});

const hostileInput: Drill = {
  name: 'api: hostile bodies, parameters and queries over HTTP',
  timeoutMs: 180_000,
  async run() {
    const svc = await startService();
    try {
      const token = await adminToken(svc.httpUrl);
      const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
      const bodies = [
        'null',
        '[]',
        '"x"',
        deep,
        '['.repeat(500_000),
        '{"username":"a\\u0000b","password":"x"}',
        '{"username":false,"password":"x"}',
        '{"id":"x","kind":"streetlight","name":"n","lat":9223372036854775808}',
        '{"__proto__":{"admin":true}}',
        '',
      ];
      const urls = [
        '/api/v1/auth/login',
        '/api/v1/users',
        '/api/v1/devices',
        '/api/v1/zones',
        '/api/v1/commands',
        '/api/v1/radio/broadcasts',
        '/api/v1/alarm-webhooks',
        '/api/v1/tokens',
      ];
      const queries = [
        '/api/v1/devices?limit=1e400',
        '/api/v1/lighting/sun?days=1e400',
        '/api/v1/audit?actor=%00',
        '/api/v1/alarms?offset=99999999999999999999',
        '/api/v1/devices/%00',
        '/api/v1/alarms/99999999999999999999',
      ];
      let sent = 0;
      let fivexx = 0;
      let fourxx = 0;
      let slowest = 0;
      for (const u of urls) {
        for (const b of bodies) {
          const t0 = Date.now();
          const r = await fetch(`${svc.httpUrl}${u}`, json(u.endsWith('login') ? null : token, undefined, b));
          slowest = Math.max(slowest, Date.now() - t0);
          await r.arrayBuffer();
          sent++;
          if (r.status >= 500) fivexx++;
          else if (r.status >= 400) fourxx++;
        }
      }
      for (const q of queries) {
        const t0 = Date.now();
        const r = await fetch(`${svc.httpUrl}${q}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
        slowest = Math.max(slowest, Date.now() - t0);
        await r.arrayBuffer();
        sent++;
        if (r.status >= 500) fivexx++;
        else if (r.status >= 400) fourxx++;
      }
      const up = (await fetch(`${svc.httpUrl}/health`)).ok;
      const counts = { sent, '4xx': fourxx, '5xx': fivexx, 'slowest ms': slowest };
      const problem = fivexx > 0 ? `${fivexx} answers were 5xx` : !up ? 'the service stopped answering' : null;
      return { passed: problem === null, detail: problem ?? `every hostile request got a 4xx with a reason; the service stayed up`, counts };
    } finally {
      await svc.stop();
      svc.cleanup();
    }
  },
};

async function storm(
  concurrency: string,
): Promise<{ readP50: number; readMax: number; snapP50: number; snapMax: number; answers: Record<string, number>; loginMs: number }> {
  const svc = await startService({
    env: {
      SW_LOGIN_HASH_CONCURRENCY: concurrency,
      SW_LOGIN_HASH_QUEUE: '1000',
      SW_LOGIN_ADDRESS_MAX_FAILURES: '100000',
      SW_LOGIN_USER_MAX_FAILURES: '1000',
      SW_NETWORKS_CAMERA: '127.0.0.0/8',
    },
  });
  const cams = await startCameraFleet({ count: 1, username: 'admin', password: 'camera-password-1', discoveryPort: null });
  try {
    const token = await adminToken(svc.httpUrl);
    const reg = await fetch(
      `${svc.httpUrl}/api/v1/cameras`,
      json(token, { id: 'dr-cam', name: 'cam', connection: { address: cams.cameras[0]!.xaddr, username: 'admin', password: 'camera-password-1' } }),
    );
    if (reg.status !== 201) throw new Error(`camera not registered: ${reg.status} ${await reg.text()}`);
    const snap = await fetch(`${svc.httpUrl}/api/v1/cameras/dr-cam/snapshots`, json(token, {}));
    if (snap.status >= 300) throw new Error(`no snapshot: ${snap.status} ${await snap.text()}`);
    const snaps: number[] = [];
    const answers: Record<string, number> = {};
    let stop = false;
    const reads: number[] = [];
    // A reader beside the storm: the dashboard's snapshot-style reads (a static asset, a database list).
    const reader = (async () => {
      while (!stop) {
        const t0 = performance.now();
        await (await fetch(`${svc.httpUrl}/api/v1/devices?limit=10`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer();
        reads.push(performance.now() - t0);
        // A stored snapshot read (file read + image work on libuv's thread pool, which scrypt shares).
        const t1 = performance.now();
        await (await fetch(`${svc.httpUrl}/api/v1/cameras/dr-cam/snapshots/latest`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer();
        snaps.push(performance.now() - t1);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 96 }, async (_, i) => {
        const r = await fetch(`${svc.httpUrl}/api/v1/auth/login`, json(null, { username: `nobody-${i % 32}`, password: 'wrong-password' }));
        await r.arrayBuffer();
        answers[r.status] = (answers[r.status] ?? 0) + 1;
      }),
    );
    const loginMs = performance.now() - t0;
    stop = true;
    await reader;
    reads.sort((a, b) => a - b);
    snaps.sort((a, b) => a - b);
    return {
      readP50: Math.round(reads[Math.floor(reads.length / 2)] ?? 0),
      readMax: Math.round(reads.at(-1) ?? 0),
      snapP50: Math.round(snaps[Math.floor(snaps.length / 2)] ?? 0),
      snapMax: Math.round(snaps.at(-1) ?? 0),
      answers,
      loginMs: Math.round(loginMs),
    };
  } finally {
    await cams.close();
    await svc.stop();
    svc.cleanup();
  }
}

const loginStorm: Drill = {
  name: 'api: 96 logins at once (32 names), hash gate 2 vs 64 side by side',
  timeoutMs: 240_000,
  async run() {
    const gated = await storm('2');
    const open = await storm('64');
    const counts = {
      'gate 2: list p50/max ms': `${gated.readP50}/${gated.readMax}`,
      'gate 2: snapshot p50/max ms': `${gated.snapP50}/${gated.snapMax}`,
      'gate 2: storm ms': gated.loginMs,
      'gate 64: list p50/max ms': `${open.readP50}/${open.readMax}`,
      'gate 64: snapshot p50/max ms': `${open.snapP50}/${open.snapMax}`,
      'gate 64: storm ms': open.loginMs,
      'gate 2 answers': JSON.stringify(gated.answers),
    };
    const fivexx = Object.entries(gated.answers).filter(([s]) => Number(s) >= 500 && s !== '503').length;
    const problem = fivexx ? 'a login answered 5xx other than 503 (busy)' : null;
    return { passed: problem === null, detail: problem ?? 'no login errored; reads beside the storm measured with the gate at 2 and wide open', counts };
  },
};

const sessionsAndRelay: Drill = {
  name: 'api: disable a user with an open live stream; relay pointed at loopback',
  timeoutMs: 180_000,
  async run() {
    const secret = http.createServer((_q, s) => s.writeHead(200, { 'content-type': 'text/plain' }).end('loopback-secret'));
    await new Promise<void>((r) => secret.listen(0, '127.0.0.1', r));
    const port = (secret.address() as AddressInfo).port;
    const svc = await startService();
    try {
      const token = await adminToken(svc.httpUrl);
      await fetch(`${svc.httpUrl}/api/v1/users`, json(token, { username: 'drill-viewer', role: 'viewer', password: 'drill-viewer-password' }));
      const login = (await (
        await fetch(`${svc.httpUrl}/api/v1/auth/login`, json(null, { username: 'drill-viewer', password: 'drill-viewer-password' }))
      ).json()) as { token: string };
      const live = await fetch(`${svc.httpUrl}/api/v1/live`, { headers: { authorization: `Bearer ${login.token}` } });
      const reader = live.body!.getReader();
      await reader.read();
      const t0 = performance.now();
      await fetch(`${svc.httpUrl}/api/v1/users/drill-viewer`, { ...json(token, { disabled: true }), method: 'PATCH' });
      let ended = false;
      const deadline = Date.now() + 5000;
      while (!ended && Date.now() < deadline)
        ended = (await Promise.race([reader.read(), new Promise<{ done: boolean }>((r) => setTimeout(() => r({ done: false }), 5000))])).done;
      const endMs = Math.round(performance.now() - t0);
      const after = (await fetch(`${svc.httpUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${login.token}` } })).status;

      await fetch(`${svc.httpUrl}/api/v1/zones`, json(token, { id: 'dr-z', name: 'Z', kind: 'residential_group' }));
      await fetch(`${svc.httpUrl}/api/v1/devices`, json(token, { id: 'dr-loa', kind: 'speaker', name: 'loa', groupId: 'dr-z' }));
      const attempts = [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, 'http://169.254.169.254/'];
      let refused = 0;
      let leaked = 0;
      for (const url of attempts) {
        const r = await fetch(
          `${svc.httpUrl}/api/v1/radio/broadcasts`,
          json(token, { title: 't', priority: 'emergency', streamUrl: url, clusterIds: ['dr-loa'] }),
        );
        const text = await r.text();
        if (r.status === 400 && text.includes('ADDRESS_NOT_ALLOWED')) refused++;
        if (text.includes('loopback-secret')) leaked++;
      }
      const raw = await fetch(
        `${svc.httpUrl}/api/v1/commands`,
        json(token, {
          name: 'live',
          target: { type: 'devices', ids: ['dr-loa'] },
          params: { broadcastId: 'x', streamUrl: `http://127.0.0.1:${port}/`, priority: 'emergency' },
        }),
      );
      const counts = {
        'stream ended ms': ended ? endMs : 'no',
        'token after disable': after,
        'relay attempts': attempts.length,
        refused,
        leaked,
        'raw live command': raw.status,
      };
      const problem = !ended
        ? 'the stream outlived the disabled user'
        : after !== 401
          ? 'the token still worked'
          : refused !== attempts.length
            ? 'a loopback source was accepted'
            : leaked
              ? 'the secret leaked'
              : raw.status < 400
                ? 'the raw live command was sent'
                : null;
      return {
        passed: problem === null,
        detail: problem ?? 'the stream ended at once; loopback and metadata sources refused, nothing leaked, raw live refused',
        counts,
      };
    } finally {
      await svc.stop();
      svc.cleanup();
      secret.close();
    }
  },
};

export const drills: Drill[] = [hostileInput, loginStorm, sessionsAndRelay];
