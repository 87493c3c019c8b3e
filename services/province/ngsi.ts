/**
 * NGSI-LD representations (ETSI GS CIM 009) of what the ward shares upstream: its devices as FIWARE Smart Data Models
 * entities (the kind declares its type and properties, devices/<kind>/index.ts `ngsi`), its plan indicators as
 * KeyPerformanceIndicator entities, and the play logs of province bulletins. Pure functions: no I/O, no clock.
 */
import { createHash } from 'node:crypto';
import { getKind } from '../../devices/index.ts';

export const NGSI_LD_CORE_CONTEXT = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';
export const SMART_DATA_MODELS_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/data-models/master/context.jsonld';
const CONTEXT = [SMART_DATA_MODELS_CONTEXT, NGSI_LD_CORE_CONTEXT];

export type Entity = { id: string; type: string; '@context': string[] } & Record<string, unknown>;

export interface ExportDevice {
  id: string;
  kind: string;
  name: string;
  lat: number | null;
  lon: number | null;
  address: string | null;
  groupId: string | null;
  online: boolean | null;
  state: Record<string, unknown>;
  stateAt: string | null;
  /** The device's ward and its name (province tenancy); absent: the configured ward. */
  wardCode?: string;
  wardName?: string;
}

const prop = (value: unknown, observedAt?: string | null): Record<string, unknown> => ({ type: 'Property', value, ...(observedAt ? { observedAt } : {}) });
const rel = (object: string): Record<string, unknown> => ({ type: 'Relationship', object });

export const entityId = (type: string, ward: string, local: string): string => `urn:ngsi-ld:${type}:${ward}:${local}`;

/** A device as its kind's NGSI-LD type, or null when the kind is not exported. Latest readings carry observedAt. */
export function deviceEntity(d: ExportDevice, ward: { code: string; name: string }): Entity | null {
  const spec = getKind(d.kind)?.ngsi;
  if (!spec) return null;
  const e: Entity = {
    id: entityId(spec.type, ward.code, d.id),
    type: spec.type,
    '@context': CONTEXT,
    name: prop(d.name),
    dataProvider: prop(`smartward:${ward.code}`),
    areaServed: prop(ward.name),
    // Smart Data Models' common status vocabulary for devices: connected or not, as the ward last saw it.
    deviceState: prop(d.online === true ? 'ok' : d.online === false ? 'offline' : 'unknown'),
  };
  if (spec.category) e.category = prop(spec.category);
  if (d.lat !== null && d.lon !== null) e.location = { type: 'GeoProperty', value: { type: 'Point', coordinates: [d.lon, d.lat] } };
  if (d.address) e.address = prop({ streetAddress: d.address, addressLocality: ward.name, addressCountry: 'VN' });
  if (d.groupId) e.refResidentialGroup = rel(entityId('AdministrativeArea', ward.code, d.groupId));
  for (const [attr, p] of Object.entries(spec.properties)) {
    const v = d.state[p.metric];
    if (v === undefined || v === null) continue;
    const value = typeof v === 'number' && p.scale !== undefined ? Math.round(v * p.scale * 10_000) / 10_000 : v;
    // deviceState above is the connection; a kind may map its own state field onto it (speaker: idle, playing…).
    e[attr] = prop(value, d.stateAt);
  }
  return e;
}

export interface KpiInput {
  figureId: string;
  label: { vi: string; en: string };
  method: { vi: string; en: string };
  value: number | null;
  unit: string;
  period: { code: string; from: string; to: string };
  computedAt: string;
}

/** One plan indicator for one period (FIWARE KeyPerformanceIndicator). */
export function kpiEntity(k: KpiInput, ward: { code: string; name: string }): Entity {
  return {
    id: entityId('KeyPerformanceIndicator', ward.code, `${k.figureId}:${k.period.code}`),
    type: 'KeyPerformanceIndicator',
    '@context': CONTEXT,
    name: prop(k.label.vi),
    alternateName: prop(k.label.en),
    description: prop(k.method.vi),
    category: prop(['quantitative']),
    kpiValue: prop(k.value),
    ...(k.unit ? { unitCode: prop(k.unit) } : {}),
    calculationPeriod: prop({ from: k.period.from, to: k.period.to }),
    calculationFrequency: prop('monthly'),
    organization: prop({ name: ward.name, code: ward.code }),
    dateModified: prop(k.computedAt),
  };
}

export interface PlayLogInput {
  provinceBroadcastId: string;
  clusterId: string;
  clusterKind: string;
  start: string;
  end: string | null;
  result: string;
  preemptedBy: string | null;
}

/** One airing of a province bulletin on one cluster (project type BroadcastPlayLog; docs/province-link.md). */
export function playLogEntity(p: PlayLogInput, ward: { code: string; name: string }): Entity {
  const clusterType = getKind(p.clusterKind)?.ngsi?.type ?? 'Device';
  return {
    id: entityId('BroadcastPlayLog', ward.code, `${p.provinceBroadcastId}:${p.clusterId}:${Date.parse(p.start)}`),
    type: 'BroadcastPlayLog',
    '@context': CONTEXT,
    refBroadcast: prop(p.provinceBroadcastId),
    refDevice: rel(entityId(clusterType, ward.code, p.clusterId)),
    startedAt: prop(p.start),
    ...(p.end ? { endedAt: prop(p.end) } : {}),
    result: prop(p.result),
    ...(p.preemptedBy ? { preemptedBy: prop(p.preemptedBy) } : {}),
    dataProvider: prop(`smartward:${ward.code}`),
  };
}

/** Content hash of an entity (stable key order), so an unchanged entity gets the same message id. */
export function contentHash(e: Entity): string {
  const stable = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(stable);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, stable((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(stable(e)))
    .digest('hex');
}

export const messageId = (e: Entity): string => `${e.id}@${contentHash(e).slice(0, 16)}`;

/** Retry delay after `attempts` failures: doubling from base, capped, with ±25 % jitter so wards do not retry in step. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number, random = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.max(1, Math.round(raw * (0.75 + 0.5 * random())));
}
