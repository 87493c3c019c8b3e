/** `npm run drill:security [-- --only NAME] [--record]`: attacks on the running service (docs: README "Security"). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSuite } from './lib/suite.ts';

await runSuite({
  title: 'Security drills: the service under hostile clients',
  dir: path.join(path.dirname(fileURLToPath(import.meta.url)), 'security'),
  heading: '## Security drills',
  intro: 'Reproduce: `npm run drill:security -- --record`. Loopback only; each drill attacks a service of its own.',
});
