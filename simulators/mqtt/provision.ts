/**
 * Getting credentials for a simulated fleet: provisioned through the service's HTTP API (admin login, POST /devices,
 * rotation for a device that exists but whose secret we lost), and kept in a credentials file so a run can be repeated.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { getKind } from '../../devices/index.ts';
import { settleWithLimit } from './concurrency.ts';
import type { FleetDeviceSpec } from './fleet.ts';
import { nameplateFor } from './models/registry.ts';
import { hashNumbers, hashString } from './noise.ts';

export interface PlannedDevice {
  deviceId: string;
  kind: string;
  name: string;
  lat: number;
  lon: number;
  /** Residential group (tổ dân phố) zone, when the zone exists. */
  groupId?: string;
  /** Nameplate facts (rated power…) matching what the simulated device will report. */
  asset: Record<string, unknown>;
}

/** A device's nameplate as its simulator will behave (SimulatedDevice seeds itself with the hash of its id). */
export const assetOf = (deviceId: string, kind: string): Record<string, unknown> => nameplateFor(kind, hashString(deviceId));

export interface CredentialsFile {
  version: 1;
  /** Where the devices were provisioned (informational). */
  api?: string;
  devices: FleetDeviceSpec[];
}

/** Phước Long ward, Nha Trang (DOMAIN.md §1). */
export const WARD_CENTRE = { lat: 12.22, lon: 109.19 } as const;

/**
 * Device ids `<prefix>-<kind id prefix>-00001`, numbered per kind, with positions scattered over ~2 km around the
 * ward centre (deterministic, so a re-run plans the same fleet).
 */
export function planDevices(counts: Readonly<Record<string, number>>, prefix: string): PlannedDevice[] {
  const out: PlannedDevice[] = [];
  for (const [kindName, n] of Object.entries(counts)) {
    const kind = getKind(kindName);
    if (!kind) throw new Error(`unknown device kind '${kindName}'`);
    for (let i = 1; i <= n; i++) {
      const deviceId = `${prefix}-${kind.idPrefix}-${String(i).padStart(5, '0')}`;
      const h = hashNumbers(i, kindName.length, kind.idPrefix.charCodeAt(0));
      const lat = WARD_CENTRE.lat + (((h & 0xffff) / 0xffff) * 2 - 1) * 0.009;
      const lon = WARD_CENTRE.lon + (((h >>> 16) / 0xffff) * 2 - 1) * 0.009;
      out.push({ deviceId, kind: kind.name, name: `${kind.label.vi} ${i}`, lat: round6(lat), lon: round6(lon), asset: assetOf(deviceId, kind.name) });
    }
  }
  return out;
}

const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

export function readCredentials(file: string): CredentialsFile | null {
  if (!existsSync(file)) return null;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CredentialsFile>;
  if (parsed.version !== 1 || !Array.isArray(parsed.devices)) throw new Error(`${file} is not a simulator credentials file (version 1)`);
  return parsed as CredentialsFile;
}

/** Written atomically and readable only by its owner: it holds device secrets. */
export function writeCredentials(file: string, creds: CredentialsFile): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(creds, null, 1)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** The few HTTP calls the simulator needs; errors carry the service's own code and message. */
export class ApiClient {
  private readonly base: string;
  private token: string | null = null;

  constructor(baseUrl: string) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async login(username: string, password: string): Promise<void> {
    const r = await this.call<{ token: string }>('POST', '/api/v1/auth/login', { username, password }, [200]);
    this.token = r.body.token;
  }

  /** Creates a device; null when it already exists. */
  async createDevice(d: PlannedDevice): Promise<string | null> {
    const body = { id: d.deviceId, kind: d.kind, name: d.name, lat: d.lat, lon: d.lon, asset: d.asset, ...(d.groupId ? { groupId: d.groupId } : {}) };
    const r = await this.call<{ credentials: { password: string } }>('POST', '/api/v1/devices', body, [201, 409]);
    return r.status === 201 ? r.body.credentials.password : null;
  }

  async rotate(deviceId: string): Promise<string> {
    const r = await this.call<{ credentials: { password: string } }>(
      'POST',
      `/api/v1/devices/${encodeURIComponent(deviceId)}/credentials/rotate`,
      undefined,
      [200],
    );
    return r.body.credentials.password;
  }

  private async call<T>(method: string, path: string, body: unknown, ok: number[]): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : {}) as T & { error?: { code?: string; message?: string } };
    if (!ok.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status} ${parsed.error?.code ?? ''} ${parsed.error?.message ?? text}`.trim());
    return { status: res.status, body: parsed };
  }
}

/**
 * Makes sure every planned device has a working secret: reuses the known one, creates missing devices, and rotates
 * the secret of a device that exists on the service but is not in the file (its secret is shown only once).
 */
export async function provisionFleet(
  api: ApiClient,
  plan: readonly PlannedDevice[],
  known: ReadonlyMap<string, FleetDeviceSpec>,
  onProgress?: (done: number, total: number) => void,
): Promise<{ specs: FleetDeviceSpec[]; created: number; rotated: number; reused: number }> {
  let created = 0;
  let rotated = 0;
  let done = 0;
  const todo = plan.filter((p) => !known.has(p.deviceId));
  const results = await settleWithLimit(todo, 8, async (p): Promise<FleetDeviceSpec> => {
    let secret = await api.createDevice(p);
    if (secret === null) {
      secret = await api.rotate(p.deviceId);
      rotated++;
    } else created++;
    if (++done % 250 === 0) onProgress?.(done, todo.length);
    return { deviceId: p.deviceId, kind: p.kind, secret };
  });
  const fresh = new Map<string, FleetDeviceSpec>();
  results.forEach((r, i) => {
    if (r.status === 'rejected') throw new Error(`provisioning ${todo[i]?.deviceId ?? '?'} failed: ${(r.reason as Error).message}`);
    fresh.set(r.value.deviceId, r.value);
  });
  const specs = plan.map((p) => known.get(p.deviceId) ?? fresh.get(p.deviceId)).filter((s): s is FleetDeviceSpec => s !== undefined);
  return { specs, created, rotated, reused: plan.length - todo.length };
}
