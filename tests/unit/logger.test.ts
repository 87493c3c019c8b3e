import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../services/common/logger.js';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('service logger', () => {
  it('writes a logged error with its type, message and stack', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.error({ err: new TypeError('boom') }, 'something failed');
    const [line] = out.lines();
    const err = line!.err as { type: string; message: string; stack: string };
    expect(err.type).toBe('TypeError');
    expect(err.message).toBe('boom');
    expect(err.stack).toMatch(/logger\.test\.ts/);
  });

  it('never writes passwords, tokens or session cookies', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.info(
      { password: 'hunter2', user: { passwordHash: 'scrypt$x', token: 'tok-123' }, req: { headers: { cookie: 'sid=abc', authorization: 'Bearer z' } } },
      'x',
    );
    const text = JSON.stringify(out.lines());
    for (const secret of ['hunter2', 'scrypt$x', 'tok-123', 'sid=abc', 'Bearer z']) expect(text).not.toContain(secret);
  });
});
