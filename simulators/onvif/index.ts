export { startCameraFleet } from './camera-fleet.ts';
export type { CameraFleet, FleetOptions } from './camera-fleet.ts';
export { SimulatedCamera } from './simulated-camera.ts';
export type { CameraFault, FaultKind, SimulatedCameraOptions, CameraStats } from './simulated-camera.ts';
export type { PtzPosition } from './ptz-model.ts';
export { DiscoveryResponder, WSD_MULTICAST_GROUP } from './discovery-responder.ts';
