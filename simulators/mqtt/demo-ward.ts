/**
 * The demo ward: Phước Long (Nha Trang, Khánh Hòa; mã ĐVHC 22330, ≈ 12.22 N 109.19 E). Residential groups (tổ dân phố)
 * each get a street of lights at ~35 m spacing, WiFi points and loudspeaker clusters near the street, and a few cameras
 * on high masts. The street layout is synthetic (straight segments around the ward centre), not a survey; only the
 * centre and the ward code are real. Pure data: the same plan every time, so a second start finds the same ids.
 */
import { assetOf } from './provision.ts';
import type { PlannedDevice } from './provision.ts';

export interface DemoZone {
  id: string;
  name: string;
}

export interface DemoCamera {
  id: string;
  name: string;
  groupId: string;
  lat: number;
  lon: number;
}

export interface DemoWardPlan {
  wardCode: string;
  zones: DemoZone[];
  devices: (PlannedDevice & { groupId: string; address: string })[];
  cameras: DemoCamera[];
}

export const DEMO_CENTRE = { lat: 12.22, lon: 109.19 } as const;
const GROUPS = 8;
/** ~35 m between poles along a street, in degrees of latitude. */
const SPACING_DEG = 0.00032;

const pad = (n: number, w = 3): string => String(n).padStart(w, '0');
const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/** The street of group g: a straight segment starting in a ring around the centre, heading off at its own angle. */
function street(g: number): { lat: number; lon: number; dLat: number; dLon: number } {
  const ring = (2 * Math.PI * g) / GROUPS;
  const heading = ring + Math.PI / 3;
  return {
    lat: DEMO_CENTRE.lat + 0.004 * Math.sin(ring),
    lon: DEMO_CENTRE.lon + 0.004 * Math.cos(ring),
    dLat: SPACING_DEG * Math.sin(heading),
    dLon: SPACING_DEG * Math.cos(heading),
  };
}

/** A point `k` poles along group g's street, shifted sideways by `side` poles (equipment stands beside the road). */
function along(g: number, k: number, side = 0): { lat: number; lon: number } {
  const s = street(g);
  return { lat: round6(s.lat + k * s.dLat - side * s.dLon), lon: round6(s.lon + k * s.dLon + side * s.dLat) };
}

/** Spreads `total` items over the groups: group g gets its share, the first groups one more when it does not divide. */
const share = (total: number, g: number): number => Math.floor(total / GROUPS) + (g < total % GROUPS ? 1 : 0);

export function demoWardPlan(opts: { wardCode: string; lights?: number; aps?: number; speakers?: number; cameras?: number }): DemoWardPlan {
  const counts = { lights: opts.lights ?? 320, aps: opts.aps ?? 12, speakers: opts.speakers ?? 15, cameras: opts.cameras ?? 5 };
  const zones: DemoZone[] = [];
  const devices: DemoWardPlan['devices'] = [];
  const cameras: DemoCamera[] = [];
  const n = { sl: 0, ap: 0, spk: 0, cam: 0 };
  for (let g = 0; g < GROUPS; g++) {
    const groupId = `demo-tdp-${pad(g + 1, 2)}`;
    const streetName = `Đường TDP ${g + 1}`;
    zones.push({ id: groupId, name: `Tổ dân phố ${g + 1}` });
    const lights = share(counts.lights, g);
    for (let k = 0; k < lights; k++) {
      const id = `demo-sl-${pad(++n.sl)}`;
      devices.push({
        deviceId: id,
        kind: 'streetlight',
        asset: assetOf(id, 'streetlight'),
        name: `Đèn ${streetName} số ${k + 1}`,
        groupId,
        address: `${streetName}, cột ${k + 1}`,
        ...along(g, k),
      });
    }
    for (let k = 0; k < share(counts.aps, g); k++) {
      const id = `demo-ap-${pad(++n.ap)}`;
      devices.push({
        deviceId: id,
        kind: 'wifi-ap',
        asset: assetOf(id, 'wifi-ap'),
        name: `WiFi công cộng TDP ${g + 1}${k ? `-${k + 1}` : ''}`,
        groupId,
        address: `Nhà văn hóa TDP ${g + 1}`,
        ...along(g, 6 + 20 * k, 1),
      });
    }
    for (let k = 0; k < share(counts.speakers, g); k++) {
      const id = `demo-spk-${pad(++n.spk)}`;
      devices.push({
        deviceId: id,
        kind: 'speaker',
        asset: assetOf(id, 'speaker'),
        name: `Cụm loa TDP ${g + 1}${k ? `-${k + 1}` : ''}`,
        groupId,
        address: `${streetName}, cột ${12 + 15 * k}`,
        ...along(g, 12 + 15 * k, 1),
      });
    }
    for (let k = 0; k < share(counts.cameras, g); k++) {
      cameras.push({ id: `demo-cam-${pad(++n.cam, 2)}`, name: `Camera trụ cao TDP ${g + 1}`, groupId, ...along(g, 20, 2) });
    }
  }
  return { wardCode: opts.wardCode, zones, devices, cameras };
}
