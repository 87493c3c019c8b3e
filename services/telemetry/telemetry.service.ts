import { getKind } from '../../devices/index.ts';
import { badRequest, notFound } from '../common/errors.ts';
import type { DeviceRepository } from '../registry/device.repository.ts';
import type { GaugeAgg, SeriesPoint, TelemetryRepository } from './telemetry.repository.ts';

export const BUCKETS: Record<string, number> = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '6h': 21600, '1d': 86400, '1w': 604800 };
export type SeriesAgg = GaugeAgg | 'delta';
const MAX_POINTS = 20_000;

export interface SeriesResult {
  deviceId: string;
  metric: string;
  unit: string;
  meaning: 'gauge' | 'counter';
  agg: SeriesAgg;
  bucket: string;
  from: string;
  to: string;
  points: SeriesPoint[];
}

export class TelemetryService {
  private readonly repo: TelemetryRepository;
  private readonly devices: DeviceRepository;
  constructor(repo: TelemetryRepository, devices: DeviceRepository) {
    this.repo = repo;
    this.devices = devices;
  }

  async series(q: { deviceId: string; metric: string; from: Date; to: Date; bucket: string; agg?: SeriesAgg }): Promise<SeriesResult> {
    const device = await this.devices.get(q.deviceId);
    if (!device) throw notFound('Device', q.deviceId);
    const spec = getKind(device.kind)?.telemetry[q.metric];
    if (!spec) throw badRequest('UNKNOWN_METRIC', `'${q.metric}' is not a ${device.kind} metric`);
    if (spec.type === 'enum' || spec.type === 'string') throw badRequest('NOT_NUMERIC', `'${q.metric}' is a state field, not a time series`);
    const bucketS = BUCKETS[q.bucket];
    if (!bucketS) throw badRequest('BAD_BUCKET', `bucket must be one of ${Object.keys(BUCKETS).join(', ')}`);
    if (!(q.from < q.to)) throw badRequest('BAD_WINDOW', `'from' must be before 'to'`);
    if ((q.to.getTime() - q.from.getTime()) / 1000 / bucketS > MAX_POINTS) {
      throw badRequest('TOO_MANY_BUCKETS', `the window holds more than ${MAX_POINTS} buckets of ${q.bucket}; choose a larger bucket`);
    }
    const meaning = spec.meaning;
    const agg = q.agg ?? (meaning === 'counter' ? 'delta' : 'avg');
    if (agg === 'delta' && meaning !== 'counter') throw badRequest('BAD_AGG', `'delta' applies to counters; '${q.metric}' is a gauge`);
    const points =
      agg === 'delta'
        ? await this.repo.counterDeltas(q.deviceId, q.metric, q.from, q.to, bucketS)
        : await this.repo.gaugeSeries(q.deviceId, q.metric, q.from, q.to, bucketS, agg);
    return {
      deviceId: q.deviceId,
      metric: q.metric,
      unit: spec.unit,
      meaning,
      agg,
      bucket: q.bucket,
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      points,
    };
  }
}
