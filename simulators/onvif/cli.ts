/**
 * Starts a fleet of simulated ONVIF cameras on loopback and prints how to reach them.
 *   tsx simulators/onvif/cli.ts --count 5 --base-port 8081 [--discovery-port 3702] [--multicast] [--user admin --password …]
 */
import { parseArgs } from 'node:util';
import { startCameraFleet } from './camera-fleet.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '5' },
    'base-port': { type: 'string', default: '0' },
    'discovery-port': { type: 'string', default: '3702' },
    multicast: { type: 'boolean', default: false },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string', default: 'Cam3ra!Sim' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

if (!/^127\./.test(values.host)) {
  console.error('The simulator only listens on loopback (127.0.0.0/8).');
  process.exit(2);
}

const fleet = await startCameraFleet({
  count: Number(values.count),
  basePort: Number(values['base-port']),
  discoveryPort: Number(values['discovery-port']),
  discoveryMulticast: values.multicast,
  username: values.user,
  password: values.password,
  host: values.host,
});

console.log(`ONVIF simulator: ${fleet.cameras.length} cameras, user '${values.user}' password '${values.password}'`);
console.log(`WS-Discovery: udp://${values.host}:${fleet.discoveryPort}${values.multicast ? ' (+ multicast on loopback)' : ''}`);
for (const cam of fleet.cameras) console.log(`${cam.id}\t${cam.xaddr}\tsnapshot ${cam.snapshotUrl}`);
console.log('Ctrl-C to stop.');

const stop = (): void => {
  void fleet.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
