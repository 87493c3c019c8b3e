/**
 * Flapping detection, pure (time is passed in). A device whose status changes more than `maxChanges` times within
 * `windowMs` is flapping: it gets one alarm instead of one per change, and its changes stop being logged one by
 * one (the history in status_events stays complete). It stops flapping after `windowMs` without a change.
 */
export interface FlapOptions {
  maxChanges: number;
  windowMs: number;
}

export class FlapDetector {
  private o: FlapOptions;
  private readonly recent = new Map<string, number[]>();
  private readonly flapping = new Map<string, number>();

  constructor(o: FlapOptions) {
    this.o = o;
  }

  /** New thresholds (an operator changed the flapping rule); the current history is kept. */
  configure(o: FlapOptions): void {
    this.o = o;
  }

  isFlapping(deviceId: string): boolean {
    return this.flapping.has(deviceId);
  }

  flappingDevices(): string[] {
    return [...this.flapping.keys()];
  }

  /** Notes one status change; true when this change made the device start flapping. */
  record(deviceId: string, at: number): boolean {
    const times = (this.recent.get(deviceId) ?? []).filter((t) => t > at - this.o.windowMs);
    times.push(at);
    this.recent.set(deviceId, times);
    if (this.flapping.has(deviceId)) {
      this.flapping.set(deviceId, at);
      return false;
    }
    if (times.length > this.o.maxChanges) {
      this.flapping.set(deviceId, at);
      return true;
    }
    return false;
  }

  /** Devices that have been quiet for a whole window stop flapping; returns them (their alarm clears). */
  settle(now: number): string[] {
    const calmed: string[] = [];
    for (const [id, last] of this.flapping) {
      if (now - last >= this.o.windowMs) {
        this.flapping.delete(id);
        calmed.push(id);
      }
    }
    for (const [id, times] of this.recent) {
      if (!times.some((t) => t > now - this.o.windowMs)) this.recent.delete(id);
    }
    return calmed;
  }
}
