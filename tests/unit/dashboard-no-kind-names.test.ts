import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from '../../devices/index.ts';

/** Issue 16: the dashboard learns kinds, capabilities and commands from GET /kinds and names none of them itself. */
const ROOT = path.resolve(import.meta.dirname, '../../dashboard/src');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : f.endsWith('.ts') ? [path.join(dir, f)] : []));
// Words that are also the API's own vocabulary, not command names: broadcast actions (/radio/broadcasts/:id/stop),
// the broadcast source 'live', camera PTZ routes (/ptz/stop), and translation keys of the same spelling.
const API_WORDS = new Set(['stop', 'live', 'volume', 'mute', 'play']);

describe('the dashboard does not branch on kind or command names', () => {
  const sources = files(ROOT).map((f) => [path.relative(ROOT, f), readFileSync(f, 'utf8')] as const);
  it.each(DEVICE_KINDS.map((k) => k.name))('no quoted kind name %s in dashboard/src', (name) => {
    for (const [file, src] of sources)
      expect(src.includes(`'${name}'`) || src.includes(`"${name}"`) || src.includes(`\`${name}\``), `${file} names '${name}'`).toBe(false);
  });
  it('no quoted command name in dashboard/src', () => {
    for (const k of DEVICE_KINDS) {
      for (const c of Object.keys(k.commands).filter((c) => !API_WORDS.has(c))) {
        for (const [file, src] of sources) expect(src.includes(`'${c}'`) || src.includes(`"${c}"`), `${file} names command '${c}'`).toBe(false);
      }
    }
  });
});
