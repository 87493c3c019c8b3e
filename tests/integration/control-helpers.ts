/** Shared set-up for the control integration tests: provisioned simulated devices and command polling. */
import { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import type { SimulatedDeviceOptions } from '../../simulators/mqtt/index.ts';
import { waitFor, type TestApp } from '../helpers/test-app.ts';

export interface CommandBody {
  id: string;
  state: string;
  deviceCount: number;
  counts: Record<'queued' | 'sent' | 'acknowledged' | 'failed' | 'expired' | 'cancelled', number>;
}

export interface Delivery {
  deviceId: string;
  state: string;
  attempts: number;
  ackStatus: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
}

/** Provisions a device over the API and builds (not connects) its simulated twin. */
export async function simDevice(
  t: TestApp,
  kind: string,
  id: string,
  extra: Record<string, unknown> = {},
  opts: Partial<SimulatedDeviceOptions> = {},
): Promise<SimulatedDevice> {
  const creds = await t.provision(kind, id, extra);
  const d = new SimulatedDevice({ brokerUrl: t.mqttUrl, deviceId: id, secret: creds.password, kind, ...opts });
  d.on('clientError', () => undefined);
  return d;
}

export async function follow(t: TestApp, id: string): Promise<{ command: CommandBody; deliveries: Delivery[] }> {
  const r = await t.http<{ command: CommandBody; deliveries: Delivery[] }>('GET', `/api/v1/commands/${encodeURIComponent(id)}`, { token: t.adminToken });
  if (r.status !== 200) throw new Error(`follow ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Waits until the command reaches one of the given overall states. */
export async function until(t: TestApp, id: string, states: string[], timeoutMs = 20_000): Promise<{ command: CommandBody; deliveries: Delivery[] }> {
  return waitFor(
    async () => {
      const f = await follow(t, id);
      return states.includes(f.command.state) ? f : null;
    },
    timeoutMs,
    100,
  );
}

export async function rowCount(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  const r = await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) x`, params);
  return r.rows[0]?.n ?? 0;
}
