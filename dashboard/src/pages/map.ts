import L from 'leaflet';
import { api } from '../api.ts';
import { h } from '../dom.ts';
import { fleet, statusOf, type FleetDevice } from '../fleet.ts';
import { addStrings, t } from '../i18n.ts';
import { kindLabel } from '../kinds.ts';
import type { Settings } from '../main.ts';

addStrings(
  { map_tilesFailed: 'Không tải được nền bản đồ (không có Internet hoặc máy chủ bản đồ không trả lời): chỉ hiển thị vị trí thiết bị', map_noPosition: 'chưa có toạ độ', map_legend: 'Chú giải' },
  { map_tilesFailed: 'Map tiles could not be loaded (no Internet or the tile server does not answer): device positions only', map_noPosition: 'without coordinates', map_legend: 'Legend' },
);

const COLOURS = { online: '#1a9850', offline: '#d73027', unknown: '#878787' } as const;
const STATUSES = ['online', 'offline', 'unknown'] as const;
/** Without a tile answer (neither loaded nor failed) after this long, the map says it is offline. */
const TILE_PATIENCE_MS = 8000;

interface Zone { id: string; name: string; kind: string; parentId: string | null }

/**
 * Devices on a map, coloured by status, filtered by kind / zone / status.
 *
 * Scale: every device is one L.circleMarker on a single shared canvas (preferCanvas), never a DOM element, and markers
 * are kept between repaints: a live update only restyles the markers whose status changed, and a filter change only
 * adds or removes markers. One popup is shared by all markers.
 *
 * Offline: without a tile URL, or when tiles fail to load (no Internet), the positions are still drawn and fitted on the
 * plain background and a notice says so.
 *
 * Cleanup is safe while Leaflet is animating: the page stops animations, ignores late callbacks, and removes the map
 * only after a running zoom animation has ended (Leaflet finishes a zoom with a timer that would otherwise touch the
 * removed panes: the old `_leaflet_pos` error).
 */
export async function mapPage(root: HTMLElement, params: string[], settings: Settings): Promise<() => void> {
  let alive = true;
  const all = [...fleet.devices.values()];
  const kinds = [...new Set(all.map((d) => d.kind))].sort();
  const fKind = h('select', { id: 'f-kind' }, h('option', { value: '' }, t('all')), kinds.map((k) => h('option', { value: k, selected: params[0] === k }, kindLabel(k))));
  const fZone = h('select', { id: 'f-zone' }, h('option', { value: '' }, t('all')));
  const fStatus = h('select', { id: 'f-status' }, h('option', { value: '' }, t('all')), STATUSES.map((s) => h('option', { value: s }, t(s))));
  const count = h('span', { class: 'muted', id: 'map-count' });
  const notice = h('p', { class: 'notice', id: 'map-offline', hidden: true });
  const box = h('div', { id: 'map', class: 'map' });
  root.append(h('div', { class: 'filters' }, h('label', {}, t('kind'), fKind), h('label', {}, t('zone'), fZone), h('label', {}, t('status'), fStatus), count), notice, box);

  // Zones: residential groups and other zones by name; the ids the fleet uses when the zone list is not readable.
  const fillZones = (zones: Zone[]): void => {
    if (!alive) return;
    const keep = fZone.value;
    fZone.replaceChildren(h('option', { value: '' }, t('all')), ...zones.map((z) => h('option', { value: z.id, selected: z.id === keep }, z.name === z.id ? z.id : `${z.name} (${z.id})`)));
  };
  const fleetZones = [...new Set(all.flatMap((d) => [d.groupId, ...d.zoneIds]).filter((z): z is string => !!z))].sort();
  fillZones(fleetZones.map((id) => ({ id, name: id, kind: '', parentId: null })));
  void api.get<{ items: Zone[] }>('/api/v1/zones').then((r) => { if (r.items.length) fillZones([...r.items].sort((a, b) => a.name.localeCompare(b.name, 'vi'))); }, () => undefined);

  // The first view is the devices' extent (fitted before any marker exists, so no marker is projected twice).
  performance.mark('map:start');
  const placed = all.filter((d) => d.lat !== null && d.lon !== null);
  const map = L.map(box, { preferCanvas: true, zoomControl: true, attributionControl: true });
  if (placed.length) map.fitBounds(L.latLngBounds(placed.map((d) => [d.lat!, d.lon!] as [number, number])), { padding: [20, 20], animate: false, maxZoom: 18 });
  else map.setView([12.22, 109.19], 15);
  const renderer = L.canvas({ padding: 0.5 });
  L.control.scale({ imperial: false }).addTo(map);
  let animating = false;
  map.on('zoomanim', () => (animating = true));
  map.on('zoomend', () => (animating = false));

  const offline = (why: string): void => {
    if (!alive) return;
    notice.textContent = why;
    notice.hidden = false;
    box.classList.add('offline');
  };
  let tileTimer: ReturnType<typeof setTimeout> | undefined;
  if (!settings.map.tileUrl) {
    offline(t('mapOffline'));
  } else {
    let loaded = 0;
    const tiles = L.tileLayer(settings.map.tileUrl, { attribution: settings.map.attribution, maxZoom: 20 });
    tiles.on('tileload', () => {
      loaded++;
      if (!alive) return;
      clearTimeout(tileTimer);
      notice.hidden = true;
      box.classList.remove('offline');
    });
    tiles.on('tileerror', () => {
      if (loaded === 0) offline(t('map_tilesFailed'));
    });
    tiles.addTo(map);
    tileTimer = setTimeout(() => {
      if (loaded === 0) offline(t('map_tilesFailed'));
    }, TILE_PATIENCE_MS);
  }

  // Legend with live counts per status.
  const legendBody = h('div', {});
  const Legend = L.Control.extend({ onAdd: () => h('div', { class: 'map-legend', id: 'map-legend' }, h('strong', {}, t('map_legend')), legendBody) });
  new Legend({ position: 'bottomright' }).addTo(map);

  const layer = L.featureGroup().addTo(map);
  const markers = new Map<string, { m: L.CircleMarker; status: string; lat: number; lon: number }>();
  const popup = L.popup({ autoPan: false });
  layer.on('click', (e: L.LeafletMouseEvent) => {
    const id = (e.propagatedFrom as { deviceId?: string } | undefined)?.deviceId;
    const d = id ? fleet.devices.get(id) : undefined;
    if (!alive || !d) return;
    popup
      .setLatLng(e.latlng)
      .setContent(h('div', {}, h('strong', {}, d.name), h('br'), `${kindLabel(d.kind)} · ${t(statusOf(d))}`, h('br'), h('a', { href: `#/device/${encodeURIComponent(d.id)}` }, d.id)))
      .openOn(map);
  });

  const visible = (d: FleetDevice): boolean =>
    d.lat !== null && d.lon !== null &&
    (!fKind.value || d.kind === fKind.value) &&
    (!fZone.value || d.groupId === fZone.value || d.zoneIds.includes(fZone.value)) &&
    (!fStatus.value || statusOf(d) === fStatus.value);

  // Numerous kinds (a ward's lights: thousands along its streets) get small dots, so the few APs, cameras and loudspeaker
  // clusters stand out; decided by the counts, not by kind names (kinds are defined only in devices/).
  const perKind = fleet.counts();
  const radiusOf = (kind: string): number => ((perKind[kind]?.total ?? 0) > 200 ? 4 : 7);
  const style = (d: FleetDevice): L.CircleMarkerOptions => ({ renderer, radius: radiusOf(d.kind), color: '#333', weight: 1, fillColor: COLOURS[statusOf(d)], fillOpacity: 0.9 });

  // Already fitted to every device unless the page opened on one kind (#/map/streetlight from an overview card).
  let fitted = !fKind.value;
  const paint = (): void => {
    if (!alive) return;
    const seen = new Set<string>();
    const perStatus = { online: 0, offline: 0, unknown: 0 };
    let withoutPosition = 0;
    for (const d of fleet.devices.values()) {
      if (d.lat === null || d.lon === null) withoutPosition++;
      if (!visible(d)) continue;
      seen.add(d.id);
      const status = statusOf(d);
      perStatus[status]++;
      const have = markers.get(d.id);
      if (!have) {
        const m = L.circleMarker([d.lat!, d.lon!], style(d));
        (m as unknown as { deviceId: string }).deviceId = d.id;
        layer.addLayer(m);
        markers.set(d.id, { m, status, lat: d.lat!, lon: d.lon! });
      } else {
        if (have.status !== status) {
          have.m.setStyle({ fillColor: COLOURS[status] });
          have.status = status;
        }
        if (have.lat !== d.lat || have.lon !== d.lon) {
          have.m.setLatLng([d.lat!, d.lon!]);
          [have.lat, have.lon] = [d.lat!, d.lon!];
        }
      }
    }
    for (const [id, x] of markers) {
      if (seen.has(id)) continue;
      layer.removeLayer(x.m);
      markers.delete(id);
    }
    count.textContent = `${markers.size} / ${fleet.devices.size}${withoutPosition ? ` (${withoutPosition} ${t('map_noPosition')})` : ''}`;
    legendBody.replaceChildren(...STATUSES.map((s) => h('div', {}, h('span', { class: 'dot', style: `background:${COLOURS[s]}` }), `${t(s)}: ${perStatus[s]}`)));
    box.dataset.markers = String(markers.size);
    performance.mark('map:painted');
    if (!fitted && markers.size) {
      // No animation: nothing is left running when the operator navigates away right after.
      map.fitBounds(layer.getBounds(), { padding: [20, 20], animate: false, maxZoom: 18 });
      fitted = true;
    }
  };
  const refilter = (): void => {
    fitted = false;
    paint();
  };
  for (const f of [fKind, fZone, fStatus]) f.addEventListener('change', refilter);
  paint();
  const unsub = fleet.subscribe(paint);

  return () => {
    alive = false;
    unsub();
    clearTimeout(tileTimer);
    map.closePopup();
    map.stop();
    const remove = (): void => {
      try {
        map.remove();
      } catch {
        /* already gone */
      }
    };
    // A zoom animation ends on a Leaflet timer (≈250 ms) that still reads the panes: remove the map after it.
    if (animating) setTimeout(remove, 400);
    else remove();
  };
}
