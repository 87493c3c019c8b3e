/**
 * A fleet of simulated cameras in one process: each on its own loopback port, plus one WS-Discovery responder that
 * answers for all of them. Used by the CLI and directly by integration tests.
 */
import { randomUUID } from 'node:crypto';
import { DiscoveryResponder } from './discovery-responder.ts';
import { SimulatedCamera } from './simulated-camera.ts';
import type { SimulatedCameraOptions } from './simulated-camera.ts';

export interface FleetOptions {
  count: number;
  username: string;
  password: string;
  host?: string;
  /** First camera's port; the rest follow consecutively. 0 (default) = ephemeral ports. */
  basePort?: number;
  /** UDP port of the WS-Discovery responder (0 = ephemeral, default). null = no responder. */
  discoveryPort?: number | null;
  /** Also answer multicast Probes on the loopback interface. */
  discoveryMulticast?: boolean;
  namePrefix?: string;
  camera?: Partial<Omit<SimulatedCameraOptions, 'id' | 'username' | 'password' | 'host' | 'port'>>;
}

export interface CameraFleet {
  cameras: SimulatedCamera[];
  /** WS-Discovery UDP port, or 0 when discovery is off. */
  discoveryPort: number;
  camera(id: string): SimulatedCamera;
  close(): Promise<void>;
}

export async function startCameraFleet(opts: FleetOptions): Promise<CameraFleet> {
  const host = opts.host ?? '127.0.0.1';
  const cameras: SimulatedCamera[] = [];
  const endpoints = new Map<SimulatedCamera, string>();
  try {
    for (let i = 0; i < opts.count; i++) {
      const id = `cam-${String(i + 1).padStart(2, '0')}`;
      const cam = new SimulatedCamera({
        ...opts.camera,
        id,
        name: `${opts.namePrefix ?? 'High-mast'} ${String(i + 1).padStart(2, '0')}`,
        username: opts.username,
        password: opts.password,
        host,
        port: opts.basePort ? opts.basePort + i : 0,
      });
      await cam.start();
      cameras.push(cam);
      endpoints.set(cam, randomUUID());
    }
  } catch (err) {
    await Promise.all(cameras.map((c) => c.close()));
    throw err;
  }
  let responder: DiscoveryResponder | undefined;
  if (opts.discoveryPort !== null) {
    responder = new DiscoveryResponder(
      () =>
        cameras.map((cam) => ({
          endpointUuid: endpoints.get(cam) ?? '',
          xaddr: cam.xaddr,
          scopes: [
            'onvif://www.onvif.org/type/video_encoder',
            'onvif://www.onvif.org/type/ptz',
            'onvif://www.onvif.org/Profile/Streaming',
            `onvif://www.onvif.org/name/${encodeURIComponent(cam.name)}`,
            'onvif://www.onvif.org/location/country/vietnam',
          ],
          online: () => !cam.activeFaults.some((f) => f.kind === 'offline'),
        })),
      { address: host, port: opts.discoveryPort ?? 0, joinMulticast: opts.discoveryMulticast ?? false },
    );
    await responder.start();
  }
  return {
    cameras,
    discoveryPort: responder?.port ?? 0,
    camera(id) {
      const cam = cameras.find((c) => c.id === id);
      if (!cam) throw new Error(`no simulated camera '${id}'`);
      return cam;
    },
    async close() {
      await Promise.all([responder?.close(), ...cameras.map((c) => c.close())]);
    },
  };
}
