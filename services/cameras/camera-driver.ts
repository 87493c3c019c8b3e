/**
 * The project's own camera interface. Everything above this line (health poller, API, control) talks to cameras only
 * through it, so the ONVIF implementation — or a vendor SDK for a camera that is not ONVIF — can change underneath.
 * Every method takes a per-call timeout and an optional AbortSignal, and rejects only with coded AppErrors
 * (CAMERA_UNREACHABLE, CAMERA_AUTH_FAILED, CAMERA_TIMEOUT, CAMERA_BAD_RESPONSE, CAMERA_REJECTED).
 */

export interface CameraConnection {
  /** Device service XAddr, e.g. http://10.20.0.31/onvif/device_service (as WS-Discovery returns it). */
  address: string;
  username: string;
  password: string;
  /** Media profile for snapshots/PTZ; the camera's first profile when absent. */
  profileToken?: string;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ProbeResult {
  /** Camera clock minus local clock (ms), measured at the midpoint of the round trip; ±1 s (the camera reports seconds). */
  clockOffsetMs: number;
  cameraTime: Date;
  roundTripMs: number;
}

export interface DeviceInfo {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface MediaProfile {
  token: string;
  name: string;
  encoding?: string;
  width?: number;
  height?: number;
  frameRate?: number;
  hasPtz: boolean;
}

export interface Snapshot {
  bytes: Buffer;
  contentType: string;
  fetchedAt: Date;
}

/** ONVIF generic spaces: pan/tilt −1..1, zoom 0..1 for positions; all −1..1 for velocities. */
export interface PtzVector {
  pan?: number;
  tilt?: number;
  zoom?: number;
}

export interface PtzStatus {
  pan: number;
  tilt: number;
  zoom: number;
  moving: { panTilt: boolean; zoom: boolean };
  utcTime?: Date;
}

export interface PtzPreset {
  token: string;
  name: string;
  position?: { pan: number; tilt: number; zoom: number };
}

export interface CameraDriver {
  /** Cheap liveness probe (GetSystemDateAndTime, no auth) that also refreshes the clock offset used for signing. */
  probe(cam: CameraConnection, opts?: CallOptions): Promise<ProbeResult>;
  getDeviceInfo(cam: CameraConnection, opts?: CallOptions): Promise<DeviceInfo>;
  getProfiles(cam: CameraConnection, opts?: CallOptions): Promise<MediaProfile[]>;
  getStreamUri(cam: CameraConnection, opts?: CallOptions & { profileToken?: string }): Promise<string>;
  getSnapshotUri(cam: CameraConnection, opts?: CallOptions & { profileToken?: string }): Promise<string>;
  /** Downloads the snapshot bytes (HTTP Digest) and checks they are an image. */
  getSnapshot(cam: CameraConnection, opts?: CallOptions & { profileToken?: string }): Promise<Snapshot>;
  ptzContinuousMove(cam: CameraConnection, velocity: PtzVector, moveTimeoutMs?: number, opts?: CallOptions): Promise<void>;
  ptzStop(cam: CameraConnection, axes?: { panTilt?: boolean; zoom?: boolean }, opts?: CallOptions): Promise<void>;
  ptzAbsoluteMove(cam: CameraConnection, position: PtzVector, speed?: PtzVector, opts?: CallOptions): Promise<void>;
  getPresets(cam: CameraConnection, opts?: CallOptions): Promise<PtzPreset[]>;
  gotoPreset(cam: CameraConnection, presetToken: string, speed?: PtzVector, opts?: CallOptions): Promise<void>;
  setPreset(cam: CameraConnection, name: string, opts?: CallOptions & { presetToken?: string }): Promise<string>;
  getPtzStatus(cam: CameraConnection, opts?: CallOptions): Promise<PtzStatus>;
  /** Drops cached state (clock offset, service addresses, Digest nonce) for a camera, e.g. after its address changed. */
  forget(cam: CameraConnection): void;
}
