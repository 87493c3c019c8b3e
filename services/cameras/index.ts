/** Public surface of the camera service: what the API, control and database layers import. */
export type {
  CallOptions,
  CameraConnection,
  CameraDriver,
  DeviceInfo,
  MediaProfile,
  ProbeResult,
  PtzPreset,
  PtzStatus,
  PtzVector,
  Snapshot,
} from './camera-driver.ts';
export { CameraErrorCode, isCameraError } from './camera-errors.ts';
export { OnvifCameraDriver } from './onvif-camera.driver.ts';
export type { OnvifDriverOptions } from './onvif-camera.driver.ts';
export { discover } from './ws-discovery.ts';
export type { DiscoverOptions, DiscoveredCamera } from './ws-discovery.ts';
export { CameraHealthPoller } from './health-poller.ts';
export type { CameraCheckReport, CameraHealth, CameraStatusChange, HealthPollerOptions, PolledCamera, PollerClock } from './health-poller.ts';
export { processSnapshot } from './snapshot-processor.ts';
export type { ImageVariant, ProcessOptions, ProcessedSnapshot } from './snapshot-processor.ts';
export { SnapshotStore } from './snapshot-store.ts';
export type { SnapshotStoreOptions, StoredSnapshot } from './snapshot-store.ts';
