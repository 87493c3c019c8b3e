/**
 * Connection-load process for bench/connections.ts: opens its share of device connections (raw MQTT, mqtt-wire.ts)
 * from several loopback source addresses, keeps them open, and reports how many are still open.
 */
import { settleWithLimit } from '../../simulators/mqtt/concurrency.ts';
import type { FleetDeviceSpec } from '../../simulators/mqtt/fleet.ts';
import { serve } from './child.ts';
import { WireDevice } from './mqtt-wire.ts';

const open: WireDevice[] = [];
let closed = 0;

serve(
  {
    async open(m) {
      const specs = m.specs as FleetDeviceSpec[];
      const sources = m.sources as string[];
      const errors = new Map<string, number>();
      const r = await settleWithLimit(specs, Number(m.concurrency ?? 200), async (s, i) => {
        const d = await WireDevice.open({
          host: '127.0.0.1',
          port: Number(m.port),
          localAddress: sources[i % sources.length],
          deviceId: s.deviceId,
          secret: s.secret,
          keepaliveS: 900,
          timeoutMs: 60_000,
        });
        d.socket.once('close', () => closed++);
        open.push(d);
      });
      for (const x of r) if (x.status === 'rejected') errors.set((x.reason as Error).message, (errors.get((x.reason as Error).message) ?? 0) + 1);
      return { opened: r.filter((x) => x.status === 'fulfilled').length, errors: Object.fromEntries(errors) };
    },
    async count() {
      return { open: open.length - closed, closed };
    },
  },
  async () => {
    for (const d of open) d.socket.destroy();
  },
);
