import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from '../../devices/index.ts';

/**
 * Issue 16: no kind or command name outside devices/ (and the simulators' device models). The service learns what a
 * kind can do from its declaration (capabilities such as `liveCommand`, `playCommand`, the commands' schemas), so a fifth
 * kind needs no edit here. The dashboard has its own check (dashboard-no-kind-names.test.ts).
 */
const ROOT = path.resolve(import.meta.dirname, '../../services');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : f.endsWith('.ts') ? [path.join(dir, f)] : []));

// Words of the API's own vocabulary that a kind also uses as a command name: the broadcast source and actions
// ('live', /radio/broadcasts/:id/stop), PTZ stop.
const API_WORDS = new Set(['stop', 'live', 'volume', 'mute', 'play']);
// "camera" is also a resource of the API and a network purpose: these uses name the resource, not the device kind.
const RESOURCE_USES = [
  /type: 'camera'/g,
  /new NetGuard\('camera'/g,
  /purpose !== 'camera'/g,
  /'live-source' \| 'camera' \| 'webhook'/g,
  /vi: 'camera', en: 'camera'/g,
];

const sources = files(ROOT).map((f) => {
  let src = readFileSync(f, 'utf8');
  for (const re of RESOURCE_USES) src = src.replace(re, '');
  return [path.relative(ROOT, f), src] as const;
});

const quoted = (src: string, word: string): boolean => src.includes(`'${word}'`) || src.includes(`"${word}"`) || src.includes(`\`${word}\``);

describe('the service does not branch on kind or command names', () => {
  it('reads every source file of services/', () => {
    expect(sources.length).toBeGreaterThan(150);
  });

  it.each(DEVICE_KINDS.map((k) => k.name))('no quoted kind name %s in services/', (name) => {
    const found = sources.filter(([, src]) => quoted(src, name)).map(([f]) => f);
    expect(found, `files naming the kind '${name}'`).toEqual([]);
  });

  it('no quoted command name in services/', () => {
    const found: string[] = [];
    for (const k of DEVICE_KINDS)
      for (const c of Object.keys(k.commands).filter((c) => !API_WORDS.has(c)))
        for (const [file, src] of sources) if (quoted(src, c)) found.push(`${file}: '${c}' (${k.name})`);
    expect(found).toEqual([]);
  });
});
