/** `npm run drill:faults [-- --only NAME] [--record]`: durability drills (docs: BENCHMARKS.md, "Fault drills"). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSuite } from './lib/suite.ts';

await runSuite({
  title: 'Fault drills: no acknowledged fact lost, no wrong figure reported',
  dir: path.join(path.dirname(fileURLToPath(import.meta.url)), 'faults'),
  heading: '## Fault drills',
  intro: 'Reproduce: `npm run drill:faults -- --record`. Loopback only; each drill runs its own service, data folder and TCP proxy.',
});
