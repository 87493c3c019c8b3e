/**
 * Two exporters (two service processes) on one outbox: each message is claimed by one of them, so the province
 * receives every entity once, not once per process; and a claim left by a process that died is retried after its lease.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/common/logger.ts';
import { Metrics } from '../../services/common/metrics.ts';
import type { Db } from '../../services/db/db.ts';
import { migrate } from '../../services/db/migrator.ts';
import { OutboxExporter } from '../../services/province/exporter.ts';
import { contentHash, deviceEntity, messageId } from '../../services/province/ngsi.ts';
import { ProvinceRepository } from '../../services/province/province.repository.ts';
import { NgsiLdUpstream } from '../../services/province/upstream.ts';
import { ProvinceStandIn } from '../../simulators/province/stand-in.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { waitFor } from '../helpers/test-app.ts';

const { modes } = await dbModes();
const WARD = { code: '22366', name: 'Phường Phước Long' };

describe.each(modes)('province outbox shared by two processes on $name', (mode) => {
  let db: Db;
  let drop: () => Promise<void>;
  const standIn = new ProvinceStandIn();

  beforeAll(async () => {
    const o = await mode.open();
    db = o.db;
    drop = o.drop;
    await migrate(db, silentLogger());
    await standIn.start();
    await db.query(`INSERT INTO devices (id, kind, name, ward_code) SELECT 'sl-' || g, 'streetlight', 'Đèn ' || g, $1 FROM generate_series(1, 400) g`, [
      WARD.code,
    ]);
  });
  afterAll(async () => {
    await standIn.stop();
    await drop?.();
  });

  const exporter = (): OutboxExporter =>
    new OutboxExporter({
      repo: new ProvinceRepository(db),
      upstream: new NgsiLdUpstream({ baseUrl: standIn.url, token: '', tenant: '' }),
      log: silentLogger(),
      metrics: new Metrics(),
      retryBaseMs: 100,
      retryMaxMs: 500,
      batchSize: 25,
      pollMs: 50,
    });

  it('delivers each message once between them', async () => {
    const repo = new ProvinceRepository(db);
    const entities = (await repo.exportDevices()).map((d) => deviceEntity(d, WARD)!);
    expect(await repo.enqueue(entities.map((e) => ({ entity: e, messageId: messageId(e), hash: contentHash(e) })))).toBe(400);
    const a = exporter();
    const b = exporter();
    a.start();
    b.start();
    await waitFor(async () => (await repo.backlog()).pending === 0, 30_000);
    await Promise.all([a.stop(), b.stop()]);
    expect(standIn.entities.size).toBe(400);
    expect([...standIn.entities.values()].filter((e) => e.receipts !== 1).map((e) => e.id)).toEqual([]);
    expect((await repo.backlog()).delivered).toBe(400);
  });

  it('a claim whose process died is taken again once its lease ends', async () => {
    const repo = new ProvinceRepository(db);
    const e = deviceEntity(
      { id: 'sl-x', kind: 'streetlight', name: 'x', lat: null, lon: null, address: null, groupId: null, online: null, state: {}, stateAt: null },
      WARD,
    )!;
    await repo.enqueue([{ entity: e, messageId: messageId(e), hash: contentHash(e) }]);
    const now = Date.now();
    // "Process A" claims it and dies before pushing.
    expect((await repo.claimDue(new Date(now), 10, 1000)).map((x) => x.entityId)).toEqual([e.id]);
    expect(await repo.claimDue(new Date(now), 10, 1000)).toEqual([]);
    expect((await repo.claimDue(new Date(now + 1500), 10, 1000)).map((x) => x.entityId)).toEqual([e.id]);
  });
});
