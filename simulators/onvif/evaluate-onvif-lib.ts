/**
 * Reproducible evidence for the library choice in docs/cameras.md: runs the `onvif` package (agsh, 0.8.x) against
 * the simulator, scenario by scenario, and prints what happened.   tsx simulators/onvif/evaluate-onvif-lib.ts
 * WS-Discovery of that package is deliberately not run: it always sends to 239.255.255.250 without setting the
 * multicast interface, which would leave the machine on the default route.
 */
import { Cam } from 'onvif/promises/index.js';
import { OnvifCameraDriver } from '../../services/cameras/onvif-camera.driver.ts';
import { startCameraFleet } from './camera-fleet.ts';
import type { SimulatedCamera } from './simulated-camera.ts';

const USER = 'admin';
const PASSWORD = 'pa55=word';
const rows: [string, string][] = [];
const record = (scenario: string, outcome: string): void => {
  rows.push([scenario, outcome]);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const describeError = (err: unknown): string => {
  const e = err as { code?: string; message?: string };
  return `error${e.code ? ` code=${e.code}` : ''} message="${e.message ?? String(err)}" (class ${(err as object).constructor.name})`;
};

async function connect(sim: SimulatedCamera, opts: { password?: string; timeout?: number } = {}): Promise<Cam> {
  const cam = new Cam({ hostname: '127.0.0.1', port: sim.port, username: USER, password: opts.password ?? PASSWORD, timeout: opts.timeout ?? 3000 });
  await cam.connect();
  return cam;
}

/** The promisified typings keep only the callback-less overload; call methods with options through this. */
function withOptions(cam: Cam, method: 'getStreamUri' | 'getSnapshotUri' | 'getStatus' | 'getPresets', options: object): Promise<unknown> {
  return (cam[method] as unknown as (o: object) => Promise<unknown>)(options);
}

async function attempt(scenario: string, fn: () => Promise<string>): Promise<void> {
  try {
    record(scenario, await fn());
  } catch (err) {
    record(scenario, describeError(err));
  }
}

async function happyPath(sim: SimulatedCamera): Promise<void> {
  const before = sim.stats.requests;
  const cam = await connect(sim);
  record('connect()', `ok, ${sim.stats.requests - before} requests: ${Object.keys(sim.stats.byAction).join(', ')}`);
  await attempt('getDeviceInformation', async () => JSON.stringify(await cam.getDeviceInformation()));
  await attempt('getProfiles', async () => `${((await cam.getProfiles()) as unknown[]).length} profiles`);
  await attempt('getStreamUri', async () => JSON.stringify(await withOptions(cam, 'getStreamUri', { protocol: 'RTSP' })));
  await attempt('getSnapshotUri', async () => JSON.stringify(await withOptions(cam, 'getSnapshotUri', {})));
  await attempt('snapshot bytes', () =>
    Promise.resolve(`no download method; only the URI (typeof cam.getSnapshot = ${typeof (cam as unknown as Record<string, unknown>).getSnapshot})`),
  );
  await attempt('continuousMove x=0.5 300 ms', async () => {
    await cam.continuousMove({ x: 0.5, y: 0, zoom: 0, timeout: 300 });
    await sleep(600);
    return `sim pan now ${sim.state.pan.toFixed(3)} (expected 0.150)`;
  });
  await attempt('absoluteMove', async () => {
    await cam.absoluteMove({ x: -0.5, y: 0.2, zoom: 0.3 });
    await sleep(1200);
    return `sim ${JSON.stringify(sim.state)}`;
  });
  await attempt('getStatus', async () => JSON.stringify(await withOptions(cam, 'getStatus', {})));
  await attempt('gotoPreset 2', async () => {
    await cam.gotoPreset({ preset: '2' });
    await sleep(1500);
    return `sim ${JSON.stringify(sim.state)}`;
  });
  // Two presets with the same name, as operators create ("Cổng chợ" on two masts' old configs).
  const driver = new OnvifCameraDriver();
  const conn = { address: sim.xaddr, username: USER, password: PASSWORD };
  await driver.setPreset(conn, 'Same name');
  await driver.setPreset(conn, 'Same name');
  await attempt('getPresets with a duplicate name', async () => {
    const presets = (await withOptions(cam, 'getPresets', {})) as Record<string, { $: { token: unknown } }>;
    const ours = await driver.getPresets(conn);
    return `library returns ${Object.keys(presets).length} entries keyed by name, token typed ${typeof Object.values(presets)[0]?.$.token}; camera has ${ours.length}`;
  });
}

async function faults(sim: SimulatedCamera): Promise<void> {
  const scenario = async (name: string, fault: Parameters<SimulatedCamera['setFault']>[0], opts?: { timeout?: number }) => {
    await sim.setFault(fault);
    const started = Date.now();
    await attempt(name, async () => {
      const cam = await connect(sim, opts);
      return `ok: ${JSON.stringify(await cam.getDeviceInformation()).slice(0, 60)}`;
    });
    rows[rows.length - 1]![1] += ` after ${Date.now() - started} ms`;
    await sim.clearFault();
  };
  await scenario('wrong password', { kind: 'wrong-password' });
  await scenario('camera clock +1 h at connect', { kind: 'clock-skew', offsetMs: 3_600_000 });
  await scenario('garbage SOAP', { kind: 'garbage-soap' });
  await scenario('hanging camera, timeout 1000', { kind: 'hang' }, { timeout: 1000 });
  await scenario('camera powered off', { kind: 'offline' });
  const cam = await connect(sim);
  await sim.setFault({ kind: 'clock-skew', offsetMs: -20 * 60_000 });
  await attempt('camera clock jumps −20 min after connect', async () => JSON.stringify(await cam.getDeviceInformation()).slice(0, 60));
  await sim.clearFault();
}

const fleet = await startCameraFleet({ count: 2, username: USER, password: PASSWORD, discoveryPort: null });
try {
  await happyPath(fleet.cameras[0]!);
  await faults(fleet.cameras[1]!);
} finally {
  await fleet.close();
}
for (const [scenario, outcome] of rows) console.log(`${scenario.padEnd(42)} ${outcome}`);
