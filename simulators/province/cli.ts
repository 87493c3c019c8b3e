/**
 * Runs the province stand-in on loopback: an NGSI-LD context broker for the ward's exporter, and (optionally) sends one
 * bulletin to a ward's inbound API.
 *   tsx simulators/province/cli.ts --port 1026 --token <broker token>
 *   tsx simulators/province/cli.ts --port 1026 --token <t> --send-to http://127.0.0.1:8080 --inbound-token <t> \
 *       --audio bulletin.mp3 --priority emergency --title "Cảnh báo lũ"
 * Point the ward at it with SW_PROVINCE_BROKER_URL=http://127.0.0.1:1026 SW_PROVINCE_BROKER_TOKEN=<broker token>.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ProvinceStandIn } from './stand-in.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '1026' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string', default: '' },
    'send-to': { type: 'string' },
    'inbound-token': { type: 'string', default: '' },
    audio: { type: 'string' },
    priority: { type: 'string', default: 'emergency' },
    title: { type: 'string', default: 'Bản tin của tỉnh' },
    id: { type: 'string', default: `prov-${Date.now().toString(36)}` },
  },
});

if (!/^127\./.test(values.host)) {
  console.error('The stand-in only listens on loopback (127.0.0.0/8).');
  process.exit(2);
}

const standIn = new ProvinceStandIn({ token: values.token, host: values.host });
await standIn.start(Number(values.port));
console.log(`Province stand-in: NGSI-LD upsert at ${standIn.url}/ngsi-ld/v1/entityOperations/upsert${values.token ? ' (bearer token required)' : ''}`);

if (values['send-to'] && values.audio) {
  const file = standIn.addAudio(path.basename(values.audio), readFileSync(values.audio));
  const r = await ProvinceStandIn.sendBulletin(values['send-to'], values['inbound-token'], {
    id: values.id,
    title: values.title,
    priority: values.priority,
    audioUrl: file.url,
    sha256: file.sha256,
  });
  console.log(`bulletin ${values.id} → ${values['send-to']}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
}

const timer = setInterval(() => {
  const byType = new Map<string, number>();
  for (const e of standIn.entities.values()) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
  console.log(
    `${new Date().toISOString()} entities ${standIn.entities.size} (${[...byType].map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}), upserts ${standIn.requests}, refused tokens ${standIn.unauthorized}`,
  );
}, 10_000);

const stop = (): void => {
  clearInterval(timer);
  void standIn.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
