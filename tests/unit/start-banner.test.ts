import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBanner, waitForQuiet } from '../../services/start-banner.ts';

const urls = { mqtt: 'mqtt://127.0.0.1:43917', mqttWs: null, http: 'http://127.0.0.1:8080' };

describe('start banner', () => {
  it('frames the addresses and puts the generated password on its own line, Vietnamese note included', () => {
    const text = startBanner({ database: 'embedded', urls, firstAdmin: { username: 'admin', password: 'pw-123' }, demo: null });
    const lines = text.trim().split('\n');
    expect(lines[0]!.startsWith('╔')).toBe(true);
    expect(lines.at(-1)!.startsWith('╚')).toBe(true);
    // Every inner line has the same width, so the frame is closed on the right.
    expect(new Set(lines.map((l) => [...l].length)).size).toBe(1);
    expect(text).toContain('║ MQTT      mqtt://127.0.0.1:43917');
    expect(text).toMatch(/║ Password \(shown once, change it\): pw-123 +║/);
    expect(text).toContain('Mật khẩu quản trị chỉ hiện một lần');
  });

  it('says how to log in when no administrator was created by this start', () => {
    const text = startBanner({ database: 'pg', urls, firstAdmin: null, demo: null });
    expect(text).toContain('Log in: POST /api/v1/auth/login');
    expect(text).not.toContain('Password');
  });
});

describe('waitForQuiet', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits until nothing was logged for the quiet span', async () => {
    vi.useFakeTimers({ now: 0 });
    let last = 0;
    let done = false;
    const p = waitForQuiet(() => last, { quietMs: 500, maxMs: 5000 }).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(400);
    last = Date.now(); // a log line at 400 ms
    await vi.advanceTimersByTimeAsync(400);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    await p;
    expect(done).toBe(true);
  });

  it('gives up at the deadline when the logs never stop', async () => {
    vi.useFakeTimers({ now: 0 });
    let done = false;
    const p = waitForQuiet(() => Date.now(), { quietMs: 500, maxMs: 2000 }).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
  });
});
