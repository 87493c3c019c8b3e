/**
 * Command-line options of the fleet simulator (simulators/cli.ts), parsed and checked in one place so a typo stops
 * the run with a message instead of simulating the wrong fleet.
 */
import { parseArgs } from 'node:util';
import { getKind } from '../../devices/index.ts';
import { parseFaultSpec } from './faults.ts';
import type { FaultAmount, FleetFault } from './faults.ts';

export const USAGE = `Fleet simulator: thousands of MQTT devices from one process.

  npm run simulate -- --api http://127.0.0.1:8080 --user admin --password '…' --creds sim.json \\
                      --lights 3000 --aps 60 --speakers 30 [--broker mqtt://127.0.0.1:1883] [options]
  npm run simulate -- --creds sim.json --broker mqtt://127.0.0.1:1883      (repeat a run, no provisioning)

Fleet      --lights N  --aps N  --speakers N  --kind <kind>=N (any MQTT kind)  --prefix sim  --cameras N (ONVIF, loopback)
Service    --broker URL  --api URL  --user NAME  --password P (or env SIM_API_PASSWORD)  --creds FILE
Run        --interval S (report period, 60)  --duration S (0 = until Ctrl-C)  --progress S (5)  --concurrency N (50)
Faults     --fault NAME=AMOUNT (repeatable; AMOUNT = count, 5% or 0.05)
           NAME: lamp-failure day-burner supply-loss flapping silent-death clock-skew garbage
           --flap-every S (60)  --flap-offline S (15)  --no-flap-program  --garbage-every S (30)  --skew S (600; --skew=-600 = behind)
Control    --control-port N (0 = any free port, --control-port=-1 = off), on 127.0.0.1 only:
           GET /status, POST /faults {"fault":"lamp-failure","amount":"1%"} or {"fault":…,"clear":true}, POST /stop
`;

/** Flag → device kind, for the common kinds; --kind covers any other MQTT kind. */
const COUNT_FLAGS = { lights: 'streetlight', aps: 'wifi-ap', speakers: 'speaker' } as const;

export interface CliOptions {
  broker: string;
  api: string | null;
  user: string;
  password: string | null;
  creds: string | null;
  /** Devices per kind; empty = every device in the credentials file. */
  counts: Record<string, number>;
  prefix: string;
  cameras: number;
  intervalMs: number;
  durationMs: number;
  progressMs: number;
  concurrency: number;
  faults: { fault: FleetFault; amount: FaultAmount }[];
  flapEveryMs: number;
  flapOfflineMs: number;
  flapProgram: boolean;
  garbageEveryMs: number;
  skewMs: number;
  controlPort: number;
  help: boolean;
}

export class UsageError extends Error {}

function number(raw: string | undefined, flag: string, min: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) throw new UsageError(`--${flag} must be a number ≥ ${min}, got '${raw}'`);
  return v;
}

function kindCounts(values: Record<string, unknown>, kinds: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [flag, kind] of Object.entries(COUNT_FLAGS)) {
    const n = number(values[flag] as string | undefined, flag, 0, 0);
    if (n > 0) counts[kind] = Math.floor(n);
  }
  for (const spec of kinds) {
    const [name = '', raw] = spec.split('=');
    const kind = getKind(name);
    if (!kind || kind.transport !== 'mqtt') throw new UsageError(`--kind ${spec}: '${name}' is not an MQTT device kind`);
    counts[kind.name] = Math.floor(number(raw, `kind ${name}`, 0, 0));
  }
  return counts;
}

export function parseCliOptions(argv: string[], env: Record<string, string | undefined> = {}): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        broker: { type: 'string' },
        api: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        creds: { type: 'string' },
        lights: { type: 'string' },
        aps: { type: 'string' },
        speakers: { type: 'string' },
        kind: { type: 'string', multiple: true },
        prefix: { type: 'string' },
        cameras: { type: 'string' },
        interval: { type: 'string' },
        duration: { type: 'string' },
        progress: { type: 'string' },
        concurrency: { type: 'string' },
        fault: { type: 'string', multiple: true },
        'flap-every': { type: 'string' },
        'flap-offline': { type: 'string' },
        'no-flap-program': { type: 'boolean' },
        'garbage-every': { type: 'string' },
        skew: { type: 'string' },
        'control-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const faults = (values.fault ?? []).map((f) => {
    try {
      return parseFaultSpec(f);
    } catch (err) {
      throw new UsageError(`--fault ${f}: ${(err as Error).message}`);
    }
  });
  const prefix = values.prefix ?? 'sim';
  if (!/^[a-z0-9][a-z0-9._-]{0,30}$/.test(prefix)) throw new UsageError(`--prefix '${prefix}': 1–31 of a-z 0-9 . _ -`);
  const broker = values.broker ?? 'mqtt://127.0.0.1:1883';
  if (!/^(mqtts?|tcp|wss?):\/\//.test(broker)) throw new UsageError(`--broker '${broker}' must be an mqtt://host:port URL`);
  const opts: CliOptions = {
    broker,
    api: values.api ?? null,
    user: values.user ?? 'admin',
    password: values.password ?? env.SIM_API_PASSWORD ?? null,
    creds: values.creds ?? null,
    counts: kindCounts(values, values.kind ?? []),
    prefix,
    cameras: Math.floor(number(values.cameras, 'cameras', 0, 0)),
    intervalMs: number(values.interval, 'interval', 0.05, 60) * 1000,
    durationMs: number(values.duration, 'duration', 0, 0) * 1000,
    progressMs: number(values.progress, 'progress', 0.5, 5) * 1000,
    concurrency: Math.floor(number(values.concurrency, 'concurrency', 1, 50)),
    faults,
    flapEveryMs: number(values['flap-every'], 'flap-every', 1, 60) * 1000,
    flapOfflineMs: number(values['flap-offline'], 'flap-offline', 0.1, 15) * 1000,
    flapProgram: values['no-flap-program'] !== true,
    garbageEveryMs: number(values['garbage-every'], 'garbage-every', 0.1, 30) * 1000,
    skewMs: Number(values.skew ?? 600) * 1000,
    controlPort: Math.floor(Number(values['control-port'] ?? 0)),
    help: values.help === true,
  };
  if (!Number.isFinite(opts.skewMs)) throw new UsageError(`--skew must be a number of seconds (negative = behind)`);
  if (opts.help) return opts;
  if (!opts.api && !opts.creds) throw new UsageError('give --api (to provision devices) or --creds (devices provisioned earlier), or both');
  if (opts.api && !opts.password) throw new UsageError('--api needs the admin password: --password or SIM_API_PASSWORD');
  if (opts.api && Object.keys(opts.counts).length === 0) throw new UsageError('say how many devices to provision: --lights N --aps N --speakers N');
  return opts;
}
