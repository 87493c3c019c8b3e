/**
 * Refuses the well-known placeholder values people copy from examples into production ("change-me", "password", a key
 * of zeros). Applied to every key marked `secret` in the schema, and to the password inside SW_DATABASE_URL. Empty
 * stays allowed here (the embedded default generates what it needs); the compose stack refuses empty secrets itself.
 */
import { CONFIG_KEYS, type ConfigKey, type KeySpec } from './config.schema.ts';

// Compared after lower-casing and dropping separators, so "Change_Me", "CHANGEME" and "change me" all match.
const PLACEHOLDERS = new Set([
  'changeme',
  'changethis',
  'changeit',
  'replaceme',
  'password',
  'passw0rd',
  'secret',
  'admin',
  'administrator',
  'default',
  'example',
  'test',
  'postgres',
  'root',
  'toor',
  'letmein',
  'qwerty',
  '123456',
  '12345678',
  '123456789',
  'todo',
  'xxx',
  'xxxxxx',
  'yoursecret',
  'yourpassword',
  'mysecret',
  'mypassword',
  'smartward',
  'timescale',
  'grafana',
  'prometheus',
]);

const normalise = (v: string): string => v.toLowerCase().replace(/[\s_.:-]+/g, '');

/** True for a placeholder word, or a string that only repeats a short pattern (0000…, abab…, deadbeefdeadbeef…). */
export function isPlaceholderSecret(value: string): boolean {
  if (value === '') return false;
  const n = normalise(value);
  if (PLACEHOLDERS.has(n) || [...PLACEHOLDERS].some((p) => p.length >= 6 && n === `${p}${p}`)) return true;
  if (n.startsWith('changeme') || n.startsWith('replaceme') || n.startsWith('yourkey')) return true;
  // A random 64-hex key repeats no period ≤ 16 (chance ~16^-48); an example key usually does.
  for (let period = 1; period <= 16 && period * 2 <= n.length; period++) {
    if (n.length % period === 0 && n === n.slice(0, period).repeat(n.length / period)) return true;
  }
  return false;
}

function secretOf(key: ConfigKey, value: string): string {
  if (key !== 'SW_DATABASE_URL' || value === '') return value;
  try {
    return decodeURIComponent(new URL(value).password);
  } catch {
    return '';
  }
}

/** One problem line per secret key holding a placeholder (never the value itself: it may be a real secret mistyped). */
export function placeholderProblems(raw: Record<ConfigKey, string>): string[] {
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][]) {
    if (!spec.secret) continue;
    if (isPlaceholderSecret(secretOf(key, raw[key] ?? ''))) {
      const what = key === 'SW_DATABASE_URL' ? 'the password in SW_DATABASE_URL' : key;
      problems.push(`${key}: ${what} is a well-known placeholder value; set a real secret (e.g. openssl rand -hex 32)`);
    }
  }
  return problems;
}
