import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../services/common/metrics.ts';
import { HealthMetrics } from '../../services/health/health-metrics.ts';
import { emptyBatch } from '../../services/ingest/batch.ts';
import type { ModuleEvents } from '../../services/modules/module.ts';

describe('ingest lag metric', () => {
  it('is the age of the oldest receipt in the batch, whatever the order of its rows', async () => {
    const metrics = new Metrics();
    const events: ModuleEvents = new EventEmitter();
    new HealthMetrics(metrics, events).start();
    const now = Date.now();
    const b = emptyBatch();
    for (const age of [2_000, 30_000, 5_000]) b.states.push({ deviceId: `d${age}`, state: {}, stateAt: null, lastSeen: new Date(now - age).toISOString() });
    events.emit('ingest.batch', b);
    const lag = await metrics.value('sw_ingest_lag_seconds');
    expect(lag).toBeGreaterThanOrEqual(30);
    expect(lag).toBeLessThan(31);
  });
});
