/**
 * Fleet simulator CLI: `npm run simulate -- --help`. Provisions (or reuses) devices, runs them against a broker with
 * faults injected by flag or at runtime through a loopback control endpoint, prints progress, and a summary at the end.
 */
import { startCameraFleet } from './onvif/index.ts';
import type { CameraFleet } from './onvif/index.ts';
import { parseCliOptions, USAGE, UsageError } from './mqtt/cli-options.ts';
import type { CliOptions } from './mqtt/cli-options.ts';
import { startControlServer } from './mqtt/control-server.ts';
import type { ControlServer } from './mqtt/control-server.ts';
import { FleetRun } from './mqtt/fleet-run.ts';
import type { FleetDeviceSpec } from './mqtt/fleet.ts';
import { summaryLines } from './mqtt/progress.ts';
import { ApiClient, planDevices, provisionFleet, readCredentials, writeCredentials } from './mqtt/provision.ts';

const log = (line: string): void => console.error(line);

/** Credentials for the fleet: from the file, topped up through the API when one is given. */
async function credentials(o: CliOptions): Promise<FleetDeviceSpec[]> {
  const file = o.creds ? readCredentials(o.creds) : null;
  const known = new Map((file?.devices ?? []).map((d) => [d.deviceId, d]));
  if (!o.api) {
    if (!file) throw new UsageError(`${o.creds ?? ''} does not exist: provision first with --api (and --creds to save it)`);
    if (Object.keys(o.counts).length === 0) return file.devices;
    const plan = planDevices(o.counts, o.prefix);
    const missing = plan.filter((p) => !known.has(p.deviceId));
    if (missing.length)
      throw new UsageError(
        `${o.creds ?? ''} lacks ${missing.length} of the devices asked for (e.g. ${missing[0]?.deviceId ?? ''}): add --api to provision them`,
      );
    return plan.map((p) => known.get(p.deviceId) as FleetDeviceSpec);
  }
  const api = new ApiClient(o.api);
  await api.login(o.user, o.password ?? '');
  const plan = planDevices(o.counts, o.prefix);
  log(`provisioning ${plan.length} devices through ${o.api} (${plan.filter((p) => known.has(p.deviceId)).length} already in the credentials file)…`);
  const r = await provisionFleet(api, plan, known, (done, total) => log(`  ${done}/${total}`));
  log(`provisioned: ${r.created} created, ${r.rotated} existing devices given a new secret, ${r.reused} reused`);
  if (o.creds) {
    const merged = new Map(known);
    for (const s of r.specs) merged.set(s.deviceId, s);
    writeCredentials(o.creds, { version: 1, api: o.api, devices: [...merged.values()] });
    log(`credentials saved to ${o.creds} (mode 0600): repeat the run with --creds ${o.creds}`);
  }
  return r.specs;
}

async function startCameras(o: CliOptions): Promise<CameraFleet | null> {
  if (o.cameras <= 0) return null;
  const fleet = await startCameraFleet({ count: o.cameras, username: 'admin', password: 'Cam3ra!Sim', discoveryPort: 0 });
  log(`${fleet.cameras.length} ONVIF cameras on loopback (user admin, password Cam3ra!Sim; register them with POST /api/v1/cameras):`);
  for (const c of fleet.cameras) log(`  ${c.id}  ${c.xaddr}`);
  return fleet;
}

async function main(): Promise<number> {
  let o: CliOptions;
  try {
    o = parseCliOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  const specs = await credentials(o);
  if (specs.length === 0) throw new UsageError('no devices to run');
  const cameras = await startCameras(o);
  const run = new FleetRun({
    brokerUrl: o.broker,
    devices: specs,
    intervalMs: o.intervalMs,
    concurrency: o.concurrency,
    flapEveryMs: o.flapEveryMs,
    flapOfflineMs: o.flapOfflineMs,
    flapProgram: o.flapProgram,
    garbageEveryMs: o.garbageEveryMs,
    skewMs: o.skewMs,
    log,
  });
  log(`connecting ${specs.length} devices to ${o.broker}…`);
  const started = await run.start();
  log(
    `${started.connected}/${specs.length} connected${started.failed.length ? `; first failure: ${started.failed[0]?.deviceId ?? ''}: ${started.failed[0]?.error ?? ''}` : ''}`,
  );
  for (const f of o.faults) {
    const r = await run.inject(f.fault, f.amount);
    log(`fault ${f.fault}: ${r.devices.length} devices${r.failed.length ? `, ${r.failed.length} could not be given it` : ''}`);
  }
  run.startProgress(o.progressMs, log);

  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let control: ControlServer | null = null;
  if (o.controlPort >= 0) {
    control = await startControlServer(run, o.controlPort, () => finish());
    log(`runtime control: ${control.url}  (GET /status, POST /faults {"fault":"lamp-failure","amount":"1%"}, POST /stop)`);
  }
  process.once('SIGINT', () => finish());
  process.once('SIGTERM', () => finish());
  const timer = o.durationMs > 0 ? setTimeout(() => finish(), o.durationMs) : undefined;
  await done;
  clearTimeout(timer);
  log('stopping…');
  const snap = await run.stop();
  await control?.close();
  await cameras?.close();
  for (const line of summaryLines(snap)) console.log(line);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err instanceof UsageError ? `${err.message}\n\n${USAGE}` : `simulator failed: ${err.message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
