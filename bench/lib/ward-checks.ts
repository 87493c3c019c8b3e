/**
 * The whole-ward run's verdict: what the database holds against what the simulator saw acknowledged, channel by
 * channel, and whether every injected fault left its trace (events, dead letters, status changes, silence).
 */
import pg from 'pg';
import type { FleetRun } from '../../simulators/mqtt/fleet-run.ts';
import type { RunSnapshot } from '../../simulators/mqtt/progress.ts';

export interface WardCheck {
  name: string;
  expected: string | number;
  found: string | number;
  ok: boolean;
}

export interface WardInput {
  dbUrl: string;
  prefix: string;
  snap: RunSnapshot;
  run: FleetRun;
  /** The service's /metrics text after the run. */
  metrics: string;
  /** Devices that had lamp-failure (cleared during the run). */
  lampFailures: readonly string[];
  silent: readonly string[];
  /** When faults were injected and when the fleet was stopped (epoch ms). */
  faultsAt: number;
  stoppedAt: number;
}

const metric = (text: string, name: string, labels: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
};

export async function compareWard(w: WardInput): Promise<WardCheck[]> {
  const c = new pg.Client({ connectionString: w.dbUrl });
  await c.connect();
  const n = async (sql: string, params: unknown[] = []): Promise<number> => Number((await c.query<{ n: string }>(sql, params)).rows[0]?.n ?? -1);
  const like = `${w.prefix}-%`;
  const checks: WardCheck[] = [];
  const eq = (name: string, expected: number, found: number): void => void checks.push({ name, expected, found, ok: expected === found });
  try {
    const acked = w.snap.summary.ackedByChannel;
    const dead = async (channel: string, extra = ''): Promise<number> =>
      n(`SELECT count(*) AS n FROM dead_letters WHERE device_id LIKE $1 AND split_part(topic, '/', 4) = $2 ${extra}`, [like, channel]);
    const telemetry = await n('SELECT count(*) AS n FROM telemetry WHERE device_id LIKE $1', [like]);
    const deadTelemetry = await dead('telemetry');
    // Every acknowledged message must be stored (no loss). A publish that failed (the connection dropped, typically a
    // flapping device destroying its socket, before the PUBACK came back) may have been stored or not: QoS 1 is at least
    // once, and the device was never told either way. So: acknowledged ≤ stored ≤ acknowledged + failed.
    const failed = w.snap.summary.failed;
    const stored = (name: string, ack: number, found: number): void =>
      void checks.push({
        name: `${name} = acknowledged${failed ? ` (up to ${failed} more: publishes that failed before their PUBACK may have been stored)` : ''}`,
        expected: failed ? `${ack}…${ack + failed}` : ack,
        found,
        ok: found >= ack && found <= ack + failed,
      });
    stored(`telemetry: rows (${telemetry}) + dead letters (${deadTelemetry})`, acked.telemetry ?? 0, telemetry + deadTelemetry);
    // The same per device, so a surplus or a shortfall points at the devices (and whether their publishes failed).
    const perDevice = new Map<string, number>();
    const rows = await c.query<{ id: string; n: string }>(
      `SELECT id, sum(n) AS n FROM (SELECT device_id AS id, count(*) AS n FROM telemetry WHERE device_id LIKE $1 GROUP BY 1
         UNION ALL SELECT device_id, count(*) FROM dead_letters WHERE device_id LIKE $1 AND split_part(topic, '/', 4) = 'telemetry' GROUP BY 1) x GROUP BY id`,
      [like],
    );
    for (const r of rows.rows) perDevice.set(r.id, Number(r.n));
    const short: string[] = [];
    const surplus: string[] = [];
    for (const d of w.run.fleet.devices) {
      const ack = d.ackedByChannel.telemetry ?? 0;
      const got = perDevice.get(d.deviceId) ?? 0;
      if (got < ack) short.push(`${d.deviceId} ${got}/${ack}`);
      else if (got > ack) surplus.push(`${d.deviceId} +${got - ack} (${d.failedCount} failed)`);
      if (got > ack + d.failedCount) short.push(`${d.deviceId} ${got} > ${ack} acked + ${d.failedCount} failed`);
    }
    checks.push({
      name: 'telemetry per device: acknowledged ≤ stored ≤ acknowledged + failed publishes of that device',
      expected: `${w.run.fleet.devices.length} devices`,
      found: short.length
        ? `off: ${short.slice(0, 5).join(', ')}`
        : `all${surplus.length ? `; stored beyond acknowledged: ${surplus.slice(0, 5).join(', ')}` : ''}`,
      ok: short.length === 0,
    });
    const events = await n('SELECT count(*) AS n FROM device_events WHERE device_id LIKE $1', [like]);
    const deadEvents = await dead('event');
    stored(`events: rows (${events}) + dead letters (${deadEvents})`, acked.event ?? 0, events + deadEvents);
    const statusAccepted = metric(w.metrics, 'sw_ingest_messages_total', 'channel="status",result="accepted"');
    checks.push({
      name: 'status messages accepted by ingest ≥ acknowledged to devices (the rest are last-wills the broker published)',
      expected: `≥ ${acked.status ?? 0}`,
      found: `${statusAccepted} (${statusAccepted - (acked.status ?? 0)} last-wills)`,
      ok: statusAccepted >= (acked.status ?? 0),
    });

    const faultDevices = async (events: string[], ids: readonly string[], active: boolean): Promise<number> =>
      n('SELECT count(DISTINCT device_id) AS n FROM device_events WHERE event = ANY($1::text[]) AND active = $2 AND device_id = ANY($3::text[])', [
        events,
        active,
        ids,
      ]);
    eq('lamp-failure: devices with a lampFailure event (active)', w.lampFailures.length, await faultDevices(['lampFailure'], w.lampFailures, true));
    eq('lamp-failure cleared: devices with a lampFailure event (inactive)', w.lampFailures.length, await faultDevices(['lampFailure'], w.lampFailures, false));
    const burners = w.run.affectedBy('day-burner');
    eq('day-burner: devices with a lampUnexpectedOn event', burners.length, await faultDevices(['lampUnexpectedOn'], burners, true));
    const supply = w.run.affectedBy('supply-loss');
    eq('supply-loss: devices with a supplyLoss / mainsLost event', supply.length, await faultDevices(['supplyLoss', 'mainsLost'], supply, true));

    const flappers = w.run.affectedBy('flapping');
    const offline = await n('SELECT count(*) AS n FROM status_events WHERE device_id = ANY($1::text[]) AND NOT online AND time < $2', [
      flappers,
      new Date(w.stoppedAt),
    ]);
    eq(`flapping: offline status changes of the ${flappers.length} flapping devices = drops`, w.snap.flaps.drops, offline);

    const silentOffline = await n('SELECT count(*) AS n FROM status_events WHERE device_id = ANY($1::text[]) AND NOT online AND time < $2', [
      w.silent,
      new Date(w.stoppedAt),
    ]);
    // By device time: a batch replayed from the spool is inserted (received_at) later than the device sent it.
    const silentReports = await n('SELECT count(*) AS n FROM telemetry WHERE device_id = ANY($1::text[]) AND time > $2', [w.silent, new Date(w.faultsAt)]);
    checks.push({
      name: `silent death: ${w.silent.length} devices sent nothing more and no last-will (still connected)`,
      expected: '0 reports, 0 offline changes',
      found: `${silentReports} reports, ${silentOffline} offline changes`,
      ok: silentReports === 0 && silentOffline === 0,
    });
    const skewed = w.run.affectedBy('clock-skew');
    eq(
      'clock-skew: devices with BAD_TIMESTAMP dead letters',
      skewed.length,
      await n(`SELECT count(DISTINCT device_id) AS n FROM dead_letters WHERE device_id = ANY($1::text[]) AND reason_code = 'BAD_TIMESTAMP'`, [skewed]),
    );
    const garbage = w.run.affectedBy('garbage');
    eq(
      'garbage: devices with dead letters for malformed payloads',
      garbage.length,
      await n(`SELECT count(DISTINCT device_id) AS n FROM dead_letters WHERE device_id = ANY($1::text[]) AND reason_code <> 'BAD_TIMESTAMP'`, [garbage]),
    );
    const m = w.snap.summary;
    // A publish in flight when a flapping device drops its socket fails (and was never acknowledged, so it is not owed).
    checks.push({
      name: `every publish settled: published = acknowledged + failed (${m.failed} failed)`,
      expected: m.published,
      found: m.acknowledged + m.failed,
      ok: m.published === m.acknowledged + m.failed,
    });
  } finally {
    await c.end();
  }
  return checks;
}
