/**
 * WS-Discovery over real UDP, kept on loopback: unicast Probes to 127.0.0.1, and multicast Probes whose outgoing
 * interface is pinned to 127.0.0.1 (TTL 1) so nothing leaves the machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover, parseProbeMatches } from '../../services/cameras/ws-discovery.ts';
import { OnvifCameraDriver } from '../../services/cameras/onvif-camera.driver.ts';
import { startCameraFleet } from '../../simulators/onvif/index.ts';
import type { CameraFleet } from '../../simulators/onvif/index.ts';

let fleet: CameraFleet;

beforeAll(async () => {
  fleet = await startCameraFleet({ count: 4, username: 'admin', password: 'pw', discoveryPort: 0, discoveryMulticast: true });
});
afterAll(async () => {
  await fleet.close();
});

describe('WS-Discovery', () => {
  it('finds every simulated camera with a unicast Probe and gives device-service XAddrs that work', async () => {
    const found = await discover({ bindAddress: '127.0.0.1', targetAddress: '127.0.0.1', port: fleet.discoveryPort, timeoutMs: 800 });
    expect(found.map((f) => f.xaddrs[0]).sort()).toEqual(fleet.cameras.map((c) => c.xaddr).sort());
    for (const f of found) {
      expect(f.endpoint).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(f.types).toContain('dn:NetworkVideoTransmitter');
      expect(f.scopes.some((s) => s.startsWith('onvif://www.onvif.org/name/'))).toBe(true);
      expect(f.from).toBe('127.0.0.1');
    }
    const info = await new OnvifCameraDriver().getDeviceInfo({ address: found[0]!.xaddrs[0]!, username: 'admin', password: 'pw' });
    expect(info.model).toBe('SW-PTZ-2230');
  });

  it('finds them with a multicast Probe sent out of the loopback interface only', async () => {
    const found = await discover({ bindAddress: '127.0.0.1', port: fleet.discoveryPort, timeoutMs: 800 });
    expect(found).toHaveLength(4);
  });

  it('does not list a camera that is powered off', async () => {
    const cam = fleet.camera('cam-03');
    await cam.setFault({ kind: 'offline' });
    try {
      const found = await discover({ bindAddress: '127.0.0.1', targetAddress: '127.0.0.1', port: fleet.discoveryPort, timeoutMs: 600 });
      expect(found.map((f) => f.xaddrs[0]).sort()).toEqual(
        fleet.cameras
          .filter((c) => c !== cam)
          .map((c) => c.xaddr)
          .sort(),
      );
    } finally {
      await cam.clearFault();
    }
  });

  it('refuses to probe from the wildcard address', async () => {
    await expect(discover({ bindAddress: '0.0.0.0', timeoutMs: 10 })).rejects.toMatchObject({ code: 'DISCOVERY_BAD_INTERFACE' });
  });

  it('ignores ProbeMatches that answer someone else’s Probe', () => {
    const xml =
      '<e:Envelope xmlns:e="x"><e:Header><RelatesTo>urn:uuid:other</RelatesTo></e:Header><e:Body><ProbeMatches><ProbeMatch>' +
      '<XAddrs>http://127.0.0.1:1/onvif/device_service</XAddrs></ProbeMatch></ProbeMatches></e:Body></e:Envelope>';
    expect(parseProbeMatches(xml, 'urn:uuid:mine', '127.0.0.1')).toEqual([]);
    expect(parseProbeMatches(xml, 'urn:uuid:other', '127.0.0.1')[0]?.xaddrs).toEqual(['http://127.0.0.1:1/onvif/device_service']);
  });
});
