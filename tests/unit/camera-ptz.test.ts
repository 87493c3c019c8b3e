import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../services/common/errors.ts';
import { silentLogger } from '../../services/common/logger.ts';
import type { CameraConnection, CameraDriver, PtzPreset } from '../../services/cameras/camera-driver.ts';
import { CameraPtzService } from '../../services/cameras/camera-ptz.service.ts';
import { DEFAULT_CAMERA_SETTINGS } from '../../services/cameras/camera-settings.ts';
import type { CameraRepository } from '../../services/cameras/camera.repository.ts';
import { KeyedMutex } from '../../services/cameras/keyed-mutex.ts';

const cam: CameraConnection & { hasPtz: boolean } = { address: 'http://127.0.0.1/onvif/device_service', username: 'u', password: 'p', hasPtz: true };

/** A strict fake driver: only the PTZ calls a test expects exist; each takes `delayMs` and is logged when it starts and ends. */
function fakeDriver(delayMs = 20) {
  const log: string[] = [];
  const call = (name: string) =>
    vi.fn(async () => {
      log.push(`${name}:start`);
      await new Promise((r) => setTimeout(r, delayMs));
      log.push(`${name}:end`);
    });
  const driver = {
    ptzContinuousMove: call('move'),
    ptzStop: call('stop'),
    ptzAbsoluteMove: call('absolute'),
    gotoPreset: call('goto'),
    getPresets: vi.fn(async (): Promise<PtzPreset[]> => {
      throw new AppError('CAMERA_UNREACHABLE', 503, 'camera is off');
    }),
  };
  return { driver, log };
}

function service(driver: Partial<CameraDriver>, opts: { hasPtz?: boolean; cached?: PtzPreset[] } = {}) {
  const repo = {
    savePresets: vi.fn(async () => undefined),
    cachedPresets: vi.fn(async () => (opts.cached ? { presets: opts.cached, at: '2026-06-01T00:00:00.000Z' } : null)),
  } as unknown as CameraRepository;
  return new CameraPtzService({
    driver: driver as CameraDriver,
    repo,
    connectionOf: async () => ({ ...cam, hasPtz: opts.hasPtz ?? true }),
    settings: () => DEFAULT_CAMERA_SETTINGS,
    log: silentLogger(),
  });
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('KeyedMutex', () => {
  it('runs calls for one key one after the other and calls for different keys side by side', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (name: string) => async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, 10));
      log.push(`${name}-`);
    };
    const all = Promise.all([m.run('a', job('a1')), m.run('a', job('a2')), m.run('b', job('b1'))]);
    await vi.advanceTimersByTimeAsync(50);
    await all;
    const i = (e: string) => log.indexOf(e);
    expect(i('a2+')).toBeGreaterThan(i('a1-')); // same key: waits for the first to finish
    expect(i('b1+')).toBeLessThan(i('a1-')); // other key: does not wait
    expect(log).toHaveLength(6);
    expect(m.busy).toBe(0);
  });

  it('keeps going after a failed call', async () => {
    const m = new KeyedMutex();
    await expect(m.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(m.run('a', async () => 7)).resolves.toBe(7);
  });
});

describe('CameraPtzService', () => {
  it('refuses out-of-range values without calling the camera', async () => {
    const { driver } = fakeDriver();
    const s = service(driver);
    await expect(s.absolute('c', { pan: 1.01, tilt: 0, zoom: 0 })).rejects.toMatchObject({ code: 'CAMERA_PTZ_OUT_OF_RANGE', statusCode: 400 });
    await expect(s.absolute('c', { pan: 0, tilt: 0, zoom: -0.1 })).rejects.toMatchObject({ code: 'CAMERA_PTZ_OUT_OF_RANGE' });
    await expect(s.move('c', { pan: Number.NaN, tilt: 0, timeoutS: 1 })).rejects.toMatchObject({ code: 'CAMERA_PTZ_OUT_OF_RANGE' });
    await expect(s.move('c', { pan: 0, tilt: 0, timeoutS: 61 })).rejects.toMatchObject({ code: 'CAMERA_PTZ_OUT_OF_RANGE' });
    expect(driver.ptzAbsoluteMove).not.toHaveBeenCalled();
    expect(driver.ptzContinuousMove).not.toHaveBeenCalled();
  });

  it('refuses PTZ on a camera whose profile has none', async () => {
    const { driver } = fakeDriver();
    await expect(service(driver, { hasPtz: false }).stop('c')).rejects.toMatchObject({ code: 'CAMERA_NO_PTZ', statusCode: 409 });
  });

  it('does not interleave two operators’ calls on one camera', async () => {
    const { driver, log } = fakeDriver(30);
    const s = service(driver);
    const both = Promise.all([s.absolute('c', { pan: 0.5, tilt: 0, zoom: 0 }), s.gotoPreset('c', '2')]);
    await vi.advanceTimersByTimeAsync(100);
    await both;
    expect(log).toEqual(['absolute:start', 'absolute:end', 'goto:start', 'goto:end']);
  });

  it('sends its own Stop shortly after a continuous move times out, unless a newer command came', async () => {
    const { driver } = fakeDriver(5);
    const s = service(driver);
    await vi.advanceTimersByTimeAsync(0);
    const first = s.move('c', { pan: 1, tilt: 0, timeoutS: 2 });
    await vi.advanceTimersByTimeAsync(10);
    await first;
    expect(driver.ptzContinuousMove).toHaveBeenCalledWith(expect.anything(), { pan: 1, tilt: 0, zoom: undefined }, 2000, expect.anything());
    await vi.advanceTimersByTimeAsync(2500);
    expect(driver.ptzStop).not.toHaveBeenCalled(); // camera should have stopped itself; grace not over yet
    await vi.advanceTimersByTimeAsync(600);
    expect(driver.ptzStop).toHaveBeenCalledTimes(1);

    const second = s.move('c', { pan: -1, tilt: 0, timeoutS: 2 });
    await vi.advanceTimersByTimeAsync(10);
    await second;
    await vi.advanceTimersByTimeAsync(1000);
    const third = s.move('c', { pan: 0, tilt: 1, timeoutS: 10 }); // the operator keeps steering
    await vi.advanceTimersByTimeAsync(10);
    await third;
    await vi.advanceTimersByTimeAsync(3000); // past the second move's safety stop: it must not cut the third short
    expect(driver.ptzStop).toHaveBeenCalledTimes(1);
    s.close();
  });

  it('serves the last preset list read, marked stale, when the camera does not answer', async () => {
    const { driver } = fakeDriver();
    const cached = [{ token: '1', name: 'Home' }];
    const r = await service(driver, { cached }).presets('c');
    expect(r).toMatchObject({ items: cached, stale: true, error: { code: 'CAMERA_UNREACHABLE' } });
    await expect(service(driver).presets('c')).rejects.toMatchObject({ code: 'CAMERA_UNREACHABLE' });
  });
});
