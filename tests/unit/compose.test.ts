import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../services/config/config.schema.ts';
import { loadConfig } from '../../services/config/config.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { environment?: Record<string, string> }>;
  };
  const env = compose.services.smartward?.environment ?? {};

  it('sets only keys the configuration schema knows', () => {
    const keys = Object.keys(env).filter((k) => k.startsWith('SW_'));
    expect(keys.length).toBeGreaterThan(5);
    const unknown = keys.filter((k) => !(k in CONFIG_KEYS));
    expect(unknown).toEqual([]);
  });

  it('sets values the schema accepts', () => {
    // ${VAR:-default} substitutions are resolved to their defaults, as compose does when VAR is unset.
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
    expect(() => loadConfig({}, resolved)).not.toThrow();
  });

  it('README lists every configuration key with its default', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      expect(readme, key).toContain(`\`${key}\``);
      if (spec.default) expect(readme, `${key} default`).toContain(`\`${spec.default}\``);
    }
  });
});
