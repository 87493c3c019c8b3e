/**
 * Tunables of the camera feature, with defaults chosen for a ward (10–30 cameras, mostly on fibre, some on 4G).
 * `cameraSettings(config)` takes the `cameras` section of the config (SW_CAMERA_* keys); the rest keep these defaults.
 * Tests and operators can also re-apply settings at run time through CameraHealthService.applySettings.
 */
import type { Config } from '../config/config.ts';

export interface CameraSettings {
  /** GetSystemDateAndTime (no auth, one request) every this many ms. */
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** A camera is offline after this many failed checks in a row… */
  offlineAfterFailures: number;
  /** …or this long without a successful check, whichever first (3 probe intervals). */
  offlineAfterMs: number;
  /** Snapshot health check (DOMAIN.md §4: "every few minutes"); 0 disables it and scheduled snapshots with it. */
  snapshotProbeIntervalMs: number;
  snapshotTimeoutMs: number;
  /** A snapshot-probe image is kept as a scheduled snapshot when the last kept one is at least this old. */
  scheduledSnapshotIntervalMs: number;
  /** Retention per camera: 7 days of 15-minute snapshots (672) plus room for on-demand ones. */
  snapshotKeepLast: number;
  snapshotMaxAgeDays: number;
  thumbnailWidth: number;
  /** Longest side of the stored full image: 1280 keeps a 1080p frame readable at ~120 kB. */
  fullMaxSize: number;
  /** Deadline of one camera call made for an operator (registration, PTZ, on-demand snapshot). */
  operatorCallTimeoutMs: number;
  /** Interfaces WS-Discovery may probe from. Loopback only unless the operator configures a camera LAN address. */
  discoveryBindAddresses: string[];
  discoveryTimeoutMs: number;
  /** How often the registered cameras are re-read (catches cameras deleted through /devices). */
  reconcileIntervalMs: number;
}

export const DEFAULT_CAMERA_SETTINGS: Readonly<CameraSettings> = Object.freeze({
  probeIntervalMs: 30_000,
  probeTimeoutMs: 5_000,
  offlineAfterFailures: 3,
  offlineAfterMs: 90_000,
  snapshotProbeIntervalMs: 300_000,
  snapshotTimeoutMs: 15_000,
  scheduledSnapshotIntervalMs: 900_000,
  snapshotKeepLast: 700,
  snapshotMaxAgeDays: 7,
  thumbnailWidth: 320,
  fullMaxSize: 1280,
  operatorCallTimeoutMs: 8_000,
  discoveryBindAddresses: ['127.0.0.1'],
  discoveryTimeoutMs: 3_000,
  reconcileIntervalMs: 15_000,
});

export function cameraSettings(config: Config): CameraSettings {
  const section: Partial<CameraSettings> = (config as Partial<Config>).cameras ?? {};
  const defined = Object.fromEntries(Object.entries(section).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_CAMERA_SETTINGS, discoveryBindAddresses: [...DEFAULT_CAMERA_SETTINGS.discoveryBindAddresses], ...defined };
}
