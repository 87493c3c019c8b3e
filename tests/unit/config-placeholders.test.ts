import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../services/config/config.ts';
import { isPlaceholderSecret } from '../../services/config/placeholders.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('placeholder secrets', () => {
  it('recognises the values people copy from examples', () => {
    for (const v of [
      'change-me',
      'CHANGE_ME',
      'changeme',
      'Change Me',
      'password',
      'admin',
      'secret',
      'postgres',
      'changeme-please',
      '0'.repeat(64),
      'ab'.repeat(32),
      'deadbeef'.repeat(8),
    ]) {
      expect(isPlaceholderSecret(v), v).toBe(true);
    }
  });

  it('accepts real secrets and empty values', () => {
    for (const v of [
      '',
      'admin-password-for-tests',
      'correct horse battery staple',
      'a3f1c9e07b5d2846f0e1a9c3b7d5f2e4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5',
      'Zr8#kq2!Lm',
    ]) {
      expect(isPlaceholderSecret(v), v).toBe(false);
    }
  });

  it('refuses a placeholder in every secret key and in the database URL password, without echoing it', () => {
    const problems = problemsOf({
      SW_ADMIN_PASSWORD: 'change-me',
      SW_SECRET_KEY: '0'.repeat(64),
      SW_METRICS_TOKEN: 'changeme'.repeat(4),
      SW_DATABASE_URL: 'postgres://smartward:change-me@db:5432/smartward',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['SW_ADMIN_PASSWORD', 'SW_DATABASE_URL', 'SW_METRICS_TOKEN', 'SW_SECRET_KEY']);
    expect(problems.join('\n')).not.toContain('change-me');
    expect(problems.join('\n')).toMatch(/well-known placeholder/);
  });

  it('lets a real configuration through, including a database URL without a password (trust or peer auth)', () => {
    expect(
      problemsOf({
        SW_ADMIN_PASSWORD: 'Tr0ub4dor&3-long',
        SW_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/sw',
        SW_METRICS_TOKEN: 'f'.repeat(7) + 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      }),
    ).toEqual([]);
  });

  it('checks the scrape token format', () => {
    expect(problemsOf({ SW_METRICS_TOKEN: 'short' })[0]).toMatch(/^SW_METRICS_TOKEN: expected 32–256 characters/);
  });
});
