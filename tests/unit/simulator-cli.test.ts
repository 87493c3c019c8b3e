import { describe, expect, it } from 'vitest';
import { parseCliOptions, UsageError } from '../../simulators/mqtt/cli-options.ts';
import { demoWardPlan } from '../../simulators/mqtt/demo-ward.ts';
import { progressLine, summaryLines } from '../../simulators/mqtt/progress.ts';
import type { RunSnapshot } from '../../simulators/mqtt/progress.ts';
import { planDevices, WARD_CENTRE } from '../../simulators/mqtt/provision.ts';

const API = ['--api', 'http://127.0.0.1:8080', '--password', 'pw'];

describe('fleet simulator options', () => {
  it('reads a whole-ward run: counts per kind, faults, timings, control port', () => {
    const o = parseCliOptions([
      ...API,
      '--lights',
      '3000',
      '--aps',
      '60',
      '--speakers',
      '30',
      '--fault',
      'lamp-failure=1%',
      '--fault',
      'garbage=5',
      '--interval',
      '10',
      '--duration',
      '600',
      '--control-port=-1',
    ]);
    expect(o.counts).toEqual({ streetlight: 3000, 'wifi-ap': 60, speaker: 30 });
    expect(o.faults).toEqual([
      { fault: 'lamp-failure', amount: { fraction: 0.01 } },
      { fault: 'garbage', amount: { count: 5 } },
    ]);
    expect([o.intervalMs, o.durationMs, o.controlPort, o.broker]).toEqual([10_000, 600_000, -1, 'mqtt://127.0.0.1:1883']);
  });

  it('takes the password from SIM_API_PASSWORD, so it need not appear in the process list', () => {
    const o = parseCliOptions(['--api', 'http://x', '--lights', '1'], { SIM_API_PASSWORD: 'from-env' });
    expect(o.password).toBe('from-env');
  });

  it('accepts a credentials file alone (repeat run) and any MQTT kind by --kind', () => {
    const o = parseCliOptions(['--creds', 'f.json', '--kind', 'speaker=4']);
    expect([o.api, o.creds, o.counts]).toEqual([null, 'f.json', { speaker: 4 }]);
  });

  it('refuses mistakes with a message: no source of credentials, unknown fault or flag, camera via --kind, bad broker', () => {
    const bad: [string[], RegExp][] = [
      [['--lights', '3'], /--api .* or --creds/],
      [['--api', 'http://x', '--lights', '3'], /admin password/],
      [[...API], /how many devices/],
      [[...API, '--lights', '3', '--fault', 'gremlins=2'], /unknown fault 'gremlins'/],
      [[...API, '--lightz', '3'], /lightz/],
      [[...API, '--kind', 'camera=2'], /not an MQTT device kind/],
      [[...API, '--lights', '3', '--broker', 'http://x'], /mqtt:\/\//],
      [[...API, '--lights=-3'], /--lights must be a number ≥ 0/],
    ];
    for (const [argv, msg] of bad) expect(() => parseCliOptions(argv), argv.join(' ')).toThrow(msg);
    expect(() => parseCliOptions(['--creds'])).toThrow(UsageError);
  });
});

describe('fleet plans', () => {
  it('numbers devices per kind with the kind id prefix, near the ward centre, the same every time', () => {
    const plan = planDevices({ streetlight: 3, 'wifi-ap': 2 }, 'sim');
    expect(plan.map((p) => p.deviceId)).toEqual(['sim-sl-00001', 'sim-sl-00002', 'sim-sl-00003', 'sim-ap-00001', 'sim-ap-00002']);
    for (const p of plan) {
      expect(Math.abs(p.lat - WARD_CENTRE.lat)).toBeLessThan(0.01);
      expect(Math.abs(p.lon - WARD_CENTRE.lon)).toBeLessThan(0.01);
    }
    expect(planDevices({ streetlight: 3, 'wifi-ap': 2 }, 'sim')).toEqual(plan);
    expect(plan[0]?.asset.ratedPowerW).toEqual(expect.any(Number));
  });

  it('lays out the demo ward: residential groups, a few hundred lights along streets, WiFi, speakers, cameras', () => {
    const plan = demoWardPlan({ wardCode: '22330' });
    const count = (kind: string): number => plan.devices.filter((d) => d.kind === kind).length;
    expect(plan.zones.length).toBeGreaterThanOrEqual(6);
    expect(plan.zones.every((z) => z.name.startsWith('Tổ dân phố'))).toBe(true);
    expect([count('streetlight'), count('wifi-ap'), count('speaker'), plan.cameras.length]).toEqual([320, 12, 15, 5]);
    const ids = [...plan.devices.map((d) => d.deviceId), ...plan.cameras.map((c) => c.id)];
    expect(new Set(ids).size).toBe(ids.length);
    // Every group has lights, and neighbouring poles on a street are 25–45 m apart.
    for (const z of plan.zones) expect(plan.devices.some((d) => d.groupId === z.id && d.kind === 'streetlight')).toBe(true);
    const street = plan.devices.filter((d) => d.groupId === 'demo-tdp-01' && d.kind === 'streetlight');
    const metres = (a: { lat: number; lon: number }, b: { lat: number; lon: number }): number =>
      Math.hypot((a.lat - b.lat) * 111_320, (a.lon - b.lon) * 111_320 * Math.cos((12.22 * Math.PI) / 180));
    for (let i = 1; i < street.length; i++) {
      const d = metres(street[i - 1] as { lat: number; lon: number }, street[i] as { lat: number; lon: number });
      expect(d).toBeGreaterThan(25);
      expect(d).toBeLessThan(45);
    }
    expect(demoWardPlan({ wardCode: '22330' })).toEqual(plan);
  });
});

describe('progress and summary', () => {
  const snap: RunSnapshot = {
    elapsedMs: 62_000,
    summary: {
      devices: 3090,
      connected: 3088,
      published: 19234,
      acknowledged: 19230,
      ackedByChannel: { telemetry: 16000, status: 3100, event: 130 },
      failed: 4,
      connectFailures: 0,
      commandsReceived: 2,
      acksSent: 2,
      reconnects: 12,
    },
    publishedPerS: 310.4,
    ackedPerS: 309.6,
    latency: { p50: 6.2, p99: 41, max: 220, samples: 19230 },
    faults: { 'lamp-failure': 31, flapping: 30 },
    injected: { 'lamp-failure': 31, flapping: 30 },
    flaps: { drops: 40, offline: 9, programStepsWhileOffline: 7 },
  };

  it('shows connected, published/acked/failed, msg/s and latency on one line', () => {
    const line = progressLine(snap);
    for (const part of [
      '62s',
      'connected 3088/3090',
      'published 19234 acked 19230 failed 4',
      '310 msg/s',
      'p50 6.2 ms',
      'p99 41.0 ms',
      'flapping 30 (offline 9)',
    ]) {
      expect(line).toContain(part);
    }
  });

  it('sums up per channel, faults, and lights that kept their program while offline', () => {
    const text = summaryLines(snap).join('\n');
    expect(text).toContain('acknowledged 19230 (event 130, status 3100, telemetry 16000)');
    expect(text).toContain('lamp-failure 31');
    expect(text).toMatch(/7 times a light came back with its stored program on a later step/);
  });
});
