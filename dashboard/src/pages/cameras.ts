import { api, ApiError } from '../api.ts';
import { clear, fmtNum, fmtTime, h } from '../dom.ts';
import { fleet, statusOf } from '../fleet.ts';
import { addStrings, getLang, t } from '../i18n.ts';
import { fetchBlob, ObjectUrls } from '../ui/authed-media.ts';
import { errorText, toast } from '../ui/notice.ts';

addStrings(
  {
    'cam.noSnapshot': 'Chưa có ảnh chụp',
    'cam.snapshotAt': 'Ảnh lúc',
    'cam.takeSnapshot': 'Chụp ảnh ngay',
    'cam.refresh': 'Làm mới',
    'cam.snapshotTaken': 'Đã chụp ảnh',
    'cam.recentSnapshots': 'Ảnh gần đây',
    'cam.trigger_onDemand': 'theo yêu cầu',
    'cam.trigger_schedule': 'định kỳ',
    'cam.trigger_probe': 'kiểm tra',
    'cam.cameraInfo': 'Thông tin camera',
    'cam.model': 'Thiết bị',
    'cam.firmware': 'Phần mềm',
    'cam.onvifAddress': 'Địa chỉ ONVIF',
    'cam.lastCheck': 'Kiểm tra gần nhất',
    'cam.failures': 'Lỗi liên tiếp',
    'cam.lastError': 'Lỗi gần nhất',
    'cam.ptz': 'Điều khiển quay / nghiêng / thu phóng',
    'cam.noPtz': 'Camera này không có PTZ',
    'cam.panLeft': 'Quay trái',
    'cam.panRight': 'Quay phải',
    'cam.tiltUp': 'Ngẩng lên',
    'cam.tiltDown': 'Cúi xuống',
    'cam.zoomIn': 'Phóng to',
    'cam.zoomOut': 'Thu nhỏ',
    'cam.stop': 'Dừng',
    'cam.speed': 'Tốc độ',
    'cam.slow': 'Chậm',
    'cam.medium': 'Vừa',
    'cam.fast': 'Nhanh',
    'cam.position': 'Vị trí',
    'cam.holdToMove': 'Giữ nút để quay; thả ra để dừng.',
    'cam.presets': 'Vị trí đặt sẵn',
    'cam.gotoPreset': 'Đến',
    'cam.savePreset': 'Lưu vị trí hiện tại',
    'cam.presetName': 'Tên vị trí',
    'cam.presetSaved': 'Đã lưu vị trí',
    'cam.presetsStale': 'Camera không trả lời; danh sách đọc lúc',
    'cam.noPresets': 'Chưa có vị trí đặt sẵn',
    'cam.movingTo': 'Đang chuyển đến',
  },
  {
    'cam.noSnapshot': 'No snapshot yet',
    'cam.snapshotAt': 'Snapshot at',
    'cam.takeSnapshot': 'Take snapshot now',
    'cam.refresh': 'Refresh',
    'cam.snapshotTaken': 'Snapshot taken',
    'cam.recentSnapshots': 'Recent snapshots',
    'cam.trigger_onDemand': 'on demand',
    'cam.trigger_schedule': 'scheduled',
    'cam.trigger_probe': 'probe',
    'cam.cameraInfo': 'Camera',
    'cam.model': 'Model',
    'cam.firmware': 'Firmware',
    'cam.onvifAddress': 'ONVIF address',
    'cam.lastCheck': 'Last check',
    'cam.failures': 'Failures in a row',
    'cam.lastError': 'Last error',
    'cam.ptz': 'Pan / tilt / zoom',
    'cam.noPtz': 'This camera has no PTZ',
    'cam.panLeft': 'Pan left',
    'cam.panRight': 'Pan right',
    'cam.tiltUp': 'Tilt up',
    'cam.tiltDown': 'Tilt down',
    'cam.zoomIn': 'Zoom in',
    'cam.zoomOut': 'Zoom out',
    'cam.stop': 'Stop',
    'cam.speed': 'Speed',
    'cam.slow': 'Slow',
    'cam.medium': 'Medium',
    'cam.fast': 'Fast',
    'cam.position': 'Position',
    'cam.holdToMove': 'Hold a button to move; release to stop.',
    'cam.presets': 'Presets',
    'cam.gotoPreset': 'Go',
    'cam.savePreset': 'Save current position',
    'cam.presetName': 'Preset name',
    'cam.presetSaved': 'Preset saved',
    'cam.presetsStale': 'The camera did not answer; list read at',
    'cam.noPresets': 'No presets yet',
    'cam.movingTo': 'Moving to',
  },
);

interface CameraView {
  id: string;
  name: string;
  groupId: string | null;
  address: string | null;
  onvif: {
    address: string;
    profileToken: string | null;
    deviceInfo: { manufacturer?: string; model?: string; firmwareVersion?: string; serialNumber?: string };
    hasPtz: boolean;
  };
  status: { online: boolean | null; lastSeen: string | null; changedAt: string | null; reason: string | null };
  health: { status: string; consecutiveFailures: number; lastSuccessAt?: string; lastCheckAt?: string; lastError?: string } | null;
}

interface SnapshotRow {
  id: string;
  takenAt: string;
  trigger: 'on-demand' | 'schedule' | 'probe';
  requestedBy: string | null;
  full: { width: number; height: number };
}
interface Preset {
  token: string;
  name: string;
}
interface PtzStatus {
  pan: number;
  tilt: number;
  zoom: number;
}

const base = (id: string): string => `/api/v1/cameras/${encodeURIComponent(id)}`;
const triggerLabel = (tr: SnapshotRow['trigger']): string => t(tr === 'on-demand' ? 'cam.trigger_onDemand' : `cam.trigger_${tr}`);

/** Live status from the fleet (device.status events), else what the camera list said. */
function cameraStatus(c: CameraView): 'online' | 'offline' | 'unknown' {
  const d = fleet.devices.get(c.id);
  if (d && d.online !== null) return statusOf(d);
  return c.status.online === true ? 'online' : c.status.online === false ? 'offline' : 'unknown';
}

/**
 * Shows a snapshot image in `img` (fetched with the token, shown by object URL). Skips the download's decode when the
 * snapshot is the one already shown. Returns the snapshot id, or null when the camera has none yet.
 */
async function showSnapshot(urls: ObjectUrls, img: HTMLImageElement, url: string): Promise<string | null> {
  try {
    const { blob, headers } = await fetchBlob(url);
    const id = headers.get('x-snapshot-id');
    if (id && img.dataset.snapshotId === id && img.getAttribute('src')) return id;
    // Shown once decoded, so a half-loaded image never flashes its alt text.
    img.addEventListener('load', () => (img.hidden = false), { once: true });
    urls.swap(img, blob);
    if (id) img.dataset.snapshotId = id;
    const at = headers.get('x-snapshot-taken-at');
    if (at) img.dataset.takenAt = at;
    return id;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export async function camerasPage(root: HTMLElement, params: string[]): Promise<() => void> {
  return params[0] ? cameraDetail(root, params[0]) : cameraGrid(root);
}

/** Every camera with its latest thumbnail and status; thumbnails refresh every minute and on `camera.snapshot`. */
async function cameraGrid(root: HTMLElement): Promise<() => void> {
  const urls = new ObjectUrls();
  const grid = h('section', { class: 'cam-grid', id: 'camera-grid' });
  root.append(h('h1', {}, t('cameras')), grid);
  const r = await api.get<{ items: CameraView[]; total: number }>('/api/v1/cameras?limit=1000');
  if (!r.items.length) grid.append(h('p', { class: 'muted' }, t('noData')));
  const cards = new Map<string, { cam: CameraView; img: HTMLImageElement; empty: HTMLElement; when: HTMLElement; status: HTMLElement }>();
  for (const cam of r.items) {
    const img = h('img', { class: 'snap', alt: cam.name, hidden: true });
    const empty = h('div', { class: 'snap-empty' }, t('loading'));
    const when = h('span', { class: 'muted small' });
    const status = h('span', { class: 'cam-status' });
    grid.append(
      h(
        'a',
        { class: 'cam-card', href: `#/cameras/${encodeURIComponent(cam.id)}`, 'data-camera': cam.id },
        h('div', { class: 'snap-box' }, img, empty),
        h('div', { class: 'cam-caption' }, h('strong', {}, cam.name), status, when),
      ),
    );
    cards.set(cam.id, { cam, img, empty, when, status });
  }
  const paintStatus = (): void => {
    for (const c of cards.values()) {
      const s = cameraStatus(c.cam);
      clear(c.status);
      c.status.append(h('span', { class: `dot ${s}` }), t(s));
      c.status.dataset.status = s;
    }
  };
  const loadOne = async (id: string): Promise<void> => {
    const c = cards.get(id);
    if (!c) return;
    try {
      const got = await showSnapshot(urls, c.img, `${base(id)}/snapshots/latest?size=thumb`);
      c.empty.hidden = got !== null;
      c.empty.textContent = t('cam.noSnapshot');
      c.when.textContent = c.img.dataset.takenAt ? `${t('cam.snapshotAt')} ${fmtTime(c.img.dataset.takenAt, getLang())}` : '';
    } catch (err) {
      c.empty.hidden = false;
      c.empty.textContent = errorText(err);
    }
  };
  const loadAll = (): void => {
    for (const id of cards.keys()) void loadOne(id);
  };
  paintStatus();
  loadAll();
  const timer = setInterval(loadAll, 60_000);
  const offStatus = fleet.subscribe(paintStatus);
  const offSnap = fleet.on('camera.snapshot', (data) => {
    const e = data as { cameraId?: string; deviceId?: string };
    void loadOne(e.cameraId ?? e.deviceId ?? '');
  });
  return () => {
    clearInterval(timer);
    offStatus();
    offSnap();
    urls.revokeAll();
  };
}

/** One camera: a large snapshot, take one now, PTZ (hold to move), presets, and its health. */
async function cameraDetail(root: HTMLElement, id: string): Promise<() => void> {
  const urls = new ObjectUrls();
  const cam = await api.get<CameraView>(base(id));
  const operator = api.can('operator');
  let alive = true;

  // ---- snapshot ---------------------------------------------------------------------------------------------------
  const img = h('img', { class: 'snap-full', id: 'cam-full', alt: cam.name, hidden: true });
  const empty = h('div', { class: 'snap-empty' }, t('loading'));
  const caption = h('p', { class: 'muted', id: 'cam-caption' });
  const strip = h('div', { class: 'snap-strip', id: 'snap-strip' });
  const snapNow = operator && h('button', { class: 'primary', id: 'snap-now', type: 'button', 'data-role-min': 'operator' }, t('cam.takeSnapshot'));
  const refreshBtn = h('button', { type: 'button', id: 'snap-refresh' }, t('cam.refresh'));

  const setCaption = (): void => {
    caption.textContent = img.dataset.takenAt
      ? `${t('cam.snapshotAt')} ${fmtTime(img.dataset.takenAt, getLang())}${img.dataset.trigger ? ` · ${img.dataset.trigger}` : ''}`
      : '';
  };
  const show = async (url: string, trigger?: string): Promise<void> => {
    try {
      const got = await showSnapshot(urls, img, url);
      empty.hidden = got !== null;
      empty.textContent = t('cam.noSnapshot');
      if (trigger !== undefined) img.dataset.trigger = trigger;
      setCaption();
    } catch (err) {
      empty.hidden = false;
      empty.textContent = errorText(err);
    }
  };
  const loadStrip = async (): Promise<void> => {
    const list = await api.get<{ items: SnapshotRow[] }>(`${base(id)}/snapshots?limit=8`).catch(() => ({ items: [] as SnapshotRow[] }));
    if (!alive) return;
    for (const old of strip.querySelectorAll('img')) urls.revoke(old.getAttribute('src'));
    clear(strip);
    for (const s of list.items) {
      const thumb = h('img', { alt: fmtTime(s.takenAt, getLang()), hidden: true });
      const btn = h(
        'button',
        {
          type: 'button',
          class: 'snap-thumb',
          'data-snapshot': s.id,
          title: `${fmtTime(s.takenAt, getLang())} · ${triggerLabel(s.trigger)}`,
          onclick: () => void show(`${base(id)}/snapshots/${s.id}?size=full`, triggerLabel(s.trigger)),
        },
        thumb,
        h('span', { class: 'small' }, fmtTime(s.takenAt, getLang()).replace(/^.*?(\d{1,2}:\d{2}).*$/, '$1')),
      );
      strip.append(btn);
      void showSnapshot(urls, thumb, `${base(id)}/snapshots/${s.id}?size=thumb`).catch(() => undefined);
    }
  };
  const latest = async (): Promise<void> => {
    img.dataset.trigger = '';
    await show(`${base(id)}/snapshots/latest?size=full`);
  };
  const takeNow = async (): Promise<void> => {
    if (snapNow) snapNow.disabled = true;
    try {
      const s = await api.request<SnapshotRow>('POST', `${base(id)}/snapshots`);
      await show(`${base(id)}/snapshots/${s.id}?size=full`, triggerLabel(s.trigger));
      toast(t('cam.snapshotTaken'));
      void loadStrip();
    } catch (err) {
      toast(errorText(err), 'error');
    } finally {
      if (snapNow) snapNow.disabled = false;
    }
  };
  if (snapNow) snapNow.addEventListener('click', () => void takeNow());
  refreshBtn.addEventListener('click', () => void latest().then(loadStrip));

  // ---- info -------------------------------------------------------------------------------------------------------
  const info = h('section', { class: 'panel', id: 'cam-info' });
  const paintInfo = (): void => {
    const s = cameraStatus(cam);
    const d = fleet.devices.get(id);
    const di = cam.onvif.deviceInfo;
    clear(info);
    info.append(
      h('h2', {}, t('cam.cameraInfo')),
      h(
        'p',
        { 'data-status': s },
        h('span', { class: `dot ${s}` }),
        t(s),
        ` · ${t('lastSeen')}: ${fmtTime(d?.lastSeen ?? cam.status.lastSeen, getLang())}`,
        (d?.statusReason ?? cam.status.reason) ? ` · ${d?.statusReason ?? cam.status.reason}` : '',
      ),
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, t('cam.model')),
        h('dd', {}, [di.manufacturer, di.model].filter(Boolean).join(' ') || '—'),
        h('dt', {}, t('cam.firmware')),
        h('dd', {}, di.firmwareVersion ?? '—'),
        h('dt', {}, t('cam.onvifAddress')),
        h('dd', {}, cam.onvif.address),
        h('dt', {}, t('group')),
        h('dd', {}, cam.groupId ?? '—'),
        cam.health && [
          h('dt', {}, t('cam.lastCheck')),
          h('dd', {}, fmtTime(cam.health.lastCheckAt, getLang())),
          h('dt', {}, t('cam.failures')),
          h('dd', {}, String(cam.health.consecutiveFailures)),
          cam.health.lastError && [h('dt', {}, t('cam.lastError')), h('dd', {}, cam.health.lastError)],
        ],
      ),
    );
  };

  // ---- PTZ --------------------------------------------------------------------------------------------------------
  const ptzBox = h('section', { class: 'panel', id: 'cam-ptz' }, h('h2', {}, t('cam.ptz')));
  const position = h('p', { class: 'muted', id: 'ptz-position' });
  const presetsBox = h('div', { id: 'ptz-presets' });
  // PTZ requests of this page go one after another: a Stop must never overtake the Move it ends.
  let ptzQueue: Promise<unknown> = Promise.resolve();
  const ptz = <T>(path: string, body?: unknown): Promise<T> => {
    const run = ptzQueue.then(() => api.request<T>('POST', `${base(id)}/ptz/${path}`, body));
    ptzQueue = run.catch(() => undefined);
    return run;
  };
  const loadPosition = async (): Promise<void> => {
    try {
      const p = await api.get<PtzStatus>(`${base(id)}/ptz/status`);
      position.textContent = `${t('cam.position')}: pan ${fmtNum(p.pan, 2)} · tilt ${fmtNum(p.tilt, 2)} · zoom ${fmtNum(p.zoom, 2)}`;
    } catch {
      position.textContent = '';
    }
  };
  const loadPresets = async (): Promise<void> => {
    let r: { items: Preset[]; stale: boolean; at: string };
    try {
      r = await api.get<{ items: Preset[]; stale: boolean; at: string }>(`${base(id)}/ptz/presets`);
    } catch (err) {
      clear(presetsBox);
      presetsBox.append(h('h3', {}, t('cam.presets')), h('p', { class: 'error' }, errorText(err)));
      return;
    }
    clear(presetsBox);
    presetsBox.append(h('h3', {}, t('cam.presets')));
    if (r.stale) presetsBox.append(h('p', { class: 'muted' }, `${t('cam.presetsStale')} ${fmtTime(r.at, getLang())}`));
    presetsBox.append(
      r.items.length
        ? h(
            'ul',
            { class: 'presets' },
            r.items.map((p) =>
              h(
                'li',
                { 'data-preset': p.token },
                h('span', {}, p.name),
                operator &&
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'goto',
                      'data-role-min': 'operator',
                      onclick: () => {
                        toast(`${t('cam.movingTo')} ${p.name}`);
                        ptz('goto', { preset: p.token }).then(
                          () => setTimeout(() => void afterMove(), 1500),
                          (err: unknown) => toast(errorText(err), 'error'),
                        );
                      },
                    },
                    t('cam.gotoPreset'),
                  ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('cam.noPresets')),
    );
    if (operator) {
      const name = h('input', { name: 'preset-name', maxlength: 64, required: true, placeholder: t('cam.presetName') });
      presetsBox.append(
        h(
          'form',
          {
            class: 'inline-form',
            id: 'preset-save',
            'data-role-min': 'operator',
            onsubmit: (e: Event) => {
              e.preventDefault();
              ptz<{ token: string }>('presets', { name: name.value.trim() }).then(
                () => {
                  toast(t('cam.presetSaved'));
                  void loadPresets();
                },
                (err: unknown) => toast(errorText(err), 'error'),
              );
            },
          },
          name,
          h('button', { type: 'submit' }, t('cam.savePreset')),
        ),
      );
    }
  };
  /** After the head stops: where it is, and (for operators) a fresh picture of what it now sees. */
  const afterMove = async (): Promise<void> => {
    await loadPosition();
    if (operator && alive) await takeNow();
  };

  if (cam.onvif.hasPtz) {
    ptzBox.append(position);
    if (operator) {
      const speed = h(
        'select',
        { id: 'ptz-speed' },
        h('option', { value: '0.2' }, t('cam.slow')),
        h('option', { value: '0.5', selected: true }, t('cam.medium')),
        h('option', { value: '1' }, t('cam.fast')),
      );
      let moving = false;
      const stop = (): void => {
        if (!moving) return;
        moving = false;
        ptz('stop').then(
          () => void afterMove(),
          (err: unknown) => toast(errorText(err), 'error'),
        );
      };
      const moveBtn = (label: string, glyph: string, dir: { pan?: number; tilt?: number; zoom?: number }, cls: string): HTMLButtonElement => {
        const v = (): { pan: number; tilt: number; zoom: number } => {
          const s = Number(speed.value);
          return { pan: (dir.pan ?? 0) * s, tilt: (dir.tilt ?? 0) * s, zoom: (dir.zoom ?? 0) * s };
        };
        const b = h('button', { type: 'button', class: `ptz-btn ${cls}`, title: label, 'aria-label': label, 'data-ptz': cls }, glyph);
        b.addEventListener('pointerdown', (e) => {
          e.preventDefault();
          b.setPointerCapture(e.pointerId);
          moving = true;
          ptz('move', { ...v(), timeoutS: 10 }).catch((err: unknown) => {
            moving = false;
            toast(errorText(err), 'error');
          });
        });
        for (const ev of ['pointerup', 'pointercancel', 'lostpointercapture']) b.addEventListener(ev, stop);
        // Keyboard (Enter/Space gives a click with detail 0): a one-second nudge; the service stops the head itself.
        b.addEventListener('click', (e) => {
          if (e.detail !== 0) return;
          ptz('move', { ...v(), timeoutS: 1 }).then(
            () => setTimeout(() => void afterMove(), 1300),
            (err: unknown) => toast(errorText(err), 'error'),
          );
        });
        return b;
      };
      ptzBox.append(
        h(
          'div',
          { class: 'ptz', 'data-role-min': 'operator' },
          h(
            'div',
            { class: 'ptz-pad' },
            h('span'),
            moveBtn(t('cam.tiltUp'), '▲', { tilt: 1 }, 'up'),
            h('span'),
            moveBtn(t('cam.panLeft'), '◀', { pan: -1 }, 'left'),
            h(
              'button',
              {
                type: 'button',
                class: 'ptz-btn stop danger',
                id: 'ptz-stop',
                title: t('cam.stop'),
                onclick: () => {
                  moving = true;
                  stop();
                },
              },
              '■',
            ),
            moveBtn(t('cam.panRight'), '▶', { pan: 1 }, 'right'),
            h('span'),
            moveBtn(t('cam.tiltDown'), '▼', { tilt: -1 }, 'down'),
            h('span'),
          ),
          h(
            'div',
            { class: 'ptz-side' },
            moveBtn(t('cam.zoomIn'), '+', { zoom: 1 }, 'zoom-in'),
            moveBtn(t('cam.zoomOut'), '−', { zoom: -1 }, 'zoom-out'),
            h('label', {}, t('cam.speed'), speed),
          ),
          h('p', { class: 'muted small' }, t('cam.holdToMove')),
        ),
      );
    }
    ptzBox.append(presetsBox);
  } else {
    ptzBox.append(h('p', { class: 'muted' }, t('cam.noPtz')));
  }

  root.append(
    h('p', {}, h('a', { href: '#/cameras' }, `‹ ${t('back')}`)),
    h('h1', {}, cam.name, ' ', h('small', { class: 'muted' }, `${cam.id}${cam.address ? ` · ${cam.address}` : ''}`)),
    h(
      'div',
      { class: 'cam-detail' },
      h(
        'section',
        { class: 'panel' },
        h('div', { class: 'snap-box large' }, img, empty),
        caption,
        h('div', { class: 'filters' }, snapNow, refreshBtn),
        h('h3', {}, t('cam.recentSnapshots')),
        strip,
      ),
      h('div', {}, info, ptzBox),
    ),
  );

  paintInfo();
  void latest();
  void loadStrip();
  if (cam.onvif.hasPtz) {
    void loadPosition();
    void loadPresets();
  }
  const offStatus = fleet.subscribe(paintInfo);
  const offSnap = fleet.on('camera.snapshot', (data) => {
    const e = data as { cameraId?: string; deviceId?: string };
    if ((e.cameraId ?? e.deviceId) === id) void latest().then(loadStrip);
  });
  return () => {
    alive = false;
    offStatus();
    offSnap();
    urls.revokeAll();
  };
}
