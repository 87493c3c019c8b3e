import L from 'leaflet';
import { zones, type Zone } from '../zones.ts';
import { h } from '../dom.ts';
import { fleet, type FleetDevice } from '../fleet.ts';
import { deviceHealth, HEALTH_COLOURS, HEALTHS, type Health } from '../health.ts';
import { addStrings, t } from '../i18n.ts';
import { kindLabel, kinds, text } from '../kinds.ts';
import type { Settings } from '../settings.ts';

addStrings(
  {
    health_fault: 'Có lỗi',
    health_offline: 'Mất kết nối',
    health_maintenance: 'Đang bảo trì',
    health_ok: 'Hoạt động tốt',
    health_unknown: 'Chưa rõ',
    health: 'Tình trạng',
    map_faults: 'Lỗi đang mở',
    map_maintenance: 'Bảo trì',
  },
  {
    health_fault: 'Fault',
    health_offline: 'Offline',
    health_maintenance: 'In maintenance',
    health_ok: 'Working',
    health_unknown: 'Unknown',
    health: 'Health',
    map_faults: 'Open faults',
    map_maintenance: 'Maintenance',
  },
);
addStrings(
  {
    map_tilesFailed: 'Không tải được nền bản đồ (không có Internet hoặc máy chủ bản đồ không trả lời): chỉ hiển thị vị trí thiết bị',
    map_noPosition: 'chưa có toạ độ',
    map_legend: 'Chú giải',
  },
  {
    map_tilesFailed: 'Map tiles could not be loaded (no Internet or the tile server does not answer): device positions only',
    map_noPosition: 'without coordinates',
    map_legend: 'Legend',
  },
);

/** Without a tile answer (neither loaded nor failed) after this long, the map says it is offline. */
const TILE_PATIENCE_MS = 8000;

/**
 * Devices on a map, coloured by health (fault, offline, maintenance, ok, unknown), filtered by kind / zone / health;
 * the legend counts each colour and filters by a click.
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
  const kindNames = [...new Set(all.map((d) => d.kind))].sort();
  const fKind = h(
    'select',
    { id: 'f-kind' },
    h('option', { value: '' }, t('all')),
    kindNames.map((k) => h('option', { value: k, selected: params[0] === k }, kindLabel(k))),
  );
  const fZone = h('select', { id: 'f-zone' }, h('option', { value: '' }, t('all')));
  const fStatus = h(
    'select',
    { id: 'f-health' },
    h('option', { value: '' }, t('all')),
    HEALTHS.map((s) => h('option', { value: s, selected: params[1] === s }, t(`health_${s}`))),
  );
  const count = h('span', { class: 'muted', id: 'map-count' });
  const notice = h('p', { class: 'notice', id: 'map-offline', hidden: true });
  const box = h('div', { id: 'map', class: 'map' });
  root.append(
    h('div', { class: 'filters' }, h('label', {}, t('kind'), fKind), h('label', {}, t('zone'), fZone), h('label', {}, t('health'), fStatus), count),
    notice,
    box,
  );

  // Zones: residential groups and other zones by name; the ids the fleet uses when the zone list is not readable.
  const fillZones = (list: Pick<Zone, 'id' | 'name'>[]): void => {
    if (!alive) return;
    const keep = fZone.value;
    fZone.replaceChildren(h('option', { value: '' }, t('all')), ...list.map((z) => h('option', { value: z.id, selected: z.id === keep }, z.name)));
  };
  const fleetZones = [...new Set(all.flatMap((d) => [d.groupId, ...d.zoneIds]).filter((z): z is string => !!z))].sort();
  fillZones(zones.items.length ? zones.items : fleetZones.map((id) => ({ id, name: id })));

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
    const hx = deviceHealth.detail(d.id);
    const why = [
      hx?.rules.length ? `${t('map_faults')}: ${hx.rules.map((r) => text(kinds.get(d.kind)?.alarms[r]?.label, r)).join(', ')}` : '',
      hx?.maintenance.length ? `${t('map_maintenance')}: ${hx.maintenance.join(', ')}` : '',
    ].filter(Boolean);
    popup
      .setLatLng(e.latlng)
      .setContent(
        h(
          'div',
          { class: 'map-popup', 'data-device': d.id },
          h('strong', {}, d.name),
          h('br'),
          `${kindLabel(d.kind)} · ${t(`health_${deviceHealth.of(d)}`)}`,
          why.map((w) => [h('br'), w]),
          h('br'),
          h('a', { href: `#/device/${encodeURIComponent(d.id)}` }, d.id),
        ),
      )
      .openOn(map);
  });

  const visible = (d: FleetDevice): boolean =>
    d.lat !== null &&
    d.lon !== null &&
    (!fKind.value || d.kind === fKind.value) &&
    (!fZone.value || d.groupId === fZone.value || d.zoneIds.includes(fZone.value)) &&
    (!fStatus.value || deviceHealth.of(d) === fStatus.value);

  // Numerous kinds (a ward's lights: thousands along its streets) get small dots, so the few APs, cameras and loudspeaker
  // clusters stand out; decided by the counts, not by kind names (kinds are defined only in devices/).
  const perKind = fleet.counts();
  const radiusOf = (kind: string): number => ((perKind[kind]?.total ?? 0) > 200 ? 4 : 7);
  const style = (d: FleetDevice): L.CircleMarkerOptions => ({
    renderer,
    radius: radiusOf(d.kind),
    color: '#333',
    weight: 1,
    fillColor: HEALTH_COLOURS[deviceHealth.of(d)],
    fillOpacity: 0.9,
  });

  // Already fitted to every device unless the page opened on one kind (#/map/streetlight from an overview card).
  let fitted = !fKind.value;
  const paint = (): void => {
    if (!alive) return;
    const seen = new Set<string>();
    const perStatus: Record<Health, number> = { fault: 0, offline: 0, maintenance: 0, ok: 0, unknown: 0 };
    let withoutPosition = 0;
    for (const d of fleet.devices.values()) {
      if (d.lat === null || d.lon === null) withoutPosition++;
      if (!visible(d)) continue;
      seen.add(d.id);
      const status = deviceHealth.of(d);
      perStatus[status]++;
      const have = markers.get(d.id);
      if (!have) {
        const m = L.circleMarker([d.lat!, d.lon!], style(d));
        (m as unknown as { deviceId: string }).deviceId = d.id;
        layer.addLayer(m);
        markers.set(d.id, { m, status, lat: d.lat!, lon: d.lon! });
      } else {
        if (have.status !== status) {
          have.m.setStyle({ fillColor: HEALTH_COLOURS[status] });
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
    // Clicking a legend line filters the map to it (and again shows everything).
    legendBody.replaceChildren(
      ...HEALTHS.map((s) =>
        h(
          'div',
          { 'data-health': s, 'data-count': perStatus[s] },
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                fStatus.value = fStatus.value === s ? '' : s;
                refilter();
              },
            },
            h('span', { class: 'health-dot', style: `background:${HEALTH_COLOURS[s]}` }),
            `${t(`health_${s}`)}: ${perStatus[s]}`,
          ),
        ),
      ),
    );
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
  const unHealth = deviceHealth.use(paint);
  void deviceHealth.load();

  return () => {
    alive = false;
    unsub();
    unHealth();
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
