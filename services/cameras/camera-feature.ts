/**
 * What the camera routes need from the camera module (its services and settings). The module builds it; the routes
 * import this file instead of the module, so the module ↔ routes import cycle is gone (issue 16).
 */
import type { DeviceKind } from '../../devices/index.ts';
import type { CameraHealthService } from './camera-health.service.ts';
import type { CameraPtzService } from './camera-ptz.service.ts';
import type { CameraSettings } from './camera-settings.ts';
import type { CameraSnapshotService } from './camera-snapshot.service.ts';
import type { CameraService } from './camera.service.ts';

export interface CameraFeature {
  kind: DeviceKind;
  cameras: CameraService;
  ptz: CameraPtzService;
  snapshots: CameraSnapshotService;
  health: CameraHealthService;
  settings(): CameraSettings;
  /** Changes tunables at run time (e.g. shorter intervals in tests) and restarts health polling with them. */
  applySettings(patch: Partial<CameraSettings>): Promise<void>;
}
