/**
 * Position model of a simulated PTZ head. Motion is integrated over the camera's clock rather than ticked, so a
 * ContinuousMove with a timeout stops exactly where a real head would even if nobody asks for the status meanwhile.
 * Generic spaces (ONVIF PTZ §5.7): pan/tilt −1..1, zoom 0..1, velocities −1..1.
 */

export interface PtzPosition {
  pan: number;
  tilt: number;
  zoom: number;
}

type Axis = keyof PtzPosition;
const AXES: Axis[] = ['pan', 'tilt', 'zoom'];
const LIMITS: Record<Axis, [number, number]> = { pan: [-1, 1], tilt: [-1, 1], zoom: [0, 1] };

/** Generic-space units per second at velocity 1: a full pan sweep (−1→1) takes 2 s, slow enough to observe. */
export const FULL_SPEED_PER_S = 1;

interface AxisMotion {
  from: number;
  target: number;
  /** units per ms, > 0 */
  rate: number;
  startedAt: number;
  /** ContinuousMove timeout: motion ends here even if the target is not reached. */
  until: number;
}

const clamp = (v: number, [lo, hi]: [number, number]): number => Math.min(hi, Math.max(lo, v));

export class PtzModel {
  private readonly rest: PtzPosition = { pan: 0, tilt: 0, zoom: 0 };
  private readonly motion: Partial<Record<Axis, AxisMotion>> = {};

  constructor(private readonly now: () => number) {}

  position(): PtzPosition {
    const t = this.now();
    const out = { ...this.rest };
    for (const axis of AXES) out[axis] = this.axisAt(axis, t);
    return out;
  }

  isMoving(axis: 'panTilt' | 'zoom'): boolean {
    const t = this.now();
    const axes: Axis[] = axis === 'zoom' ? ['zoom'] : ['pan', 'tilt'];
    return axes.some((a) => {
      const m = this.motion[a];
      return m !== undefined && t < m.until && this.axisAt(a, t) !== m.target;
    });
  }

  /** ContinuousMove: each axis heads for its limit in the direction of its velocity, until timeoutMs elapses. */
  continuousMove(velocity: Partial<PtzPosition>, timeoutMs: number): void {
    const t = this.now();
    for (const axis of AXES) {
      const v = velocity[axis];
      if (v === undefined) continue;
      this.settle(axis, t);
      if (v === 0) continue;
      const [lo, hi] = LIMITS[axis];
      this.motion[axis] = {
        from: this.rest[axis],
        target: v > 0 ? hi : lo,
        rate: (Math.abs(v) * FULL_SPEED_PER_S) / 1000,
        startedAt: t,
        until: t + timeoutMs,
      };
    }
  }

  /** AbsoluteMove / GotoPreset: travel at full speed (or the requested speed) to the target. */
  moveTo(target: Partial<PtzPosition>, speed = 1): void {
    const t = this.now();
    for (const axis of AXES) {
      const goal = target[axis];
      if (goal === undefined) continue;
      this.settle(axis, t);
      this.motion[axis] = {
        from: this.rest[axis],
        target: clamp(goal, LIMITS[axis]),
        rate: (Math.max(0.01, Math.abs(speed)) * FULL_SPEED_PER_S) / 1000,
        startedAt: t,
        until: Number.POSITIVE_INFINITY,
      };
    }
  }

  stop(panTilt: boolean, zoom: boolean): void {
    const t = this.now();
    const axes: Axis[] = [...(panTilt ? (['pan', 'tilt'] as Axis[]) : []), ...(zoom ? (['zoom'] as Axis[]) : [])];
    for (const axis of axes) this.settle(axis, t);
  }

  private settle(axis: Axis, t: number): void {
    this.rest[axis] = this.axisAt(axis, t);
    delete this.motion[axis];
  }

  private axisAt(axis: Axis, t: number): number {
    const m = this.motion[axis];
    if (!m) return this.rest[axis];
    const elapsed = Math.max(0, Math.min(t, m.until) - m.startedAt);
    const span = Math.abs(m.target - m.from);
    // Land exactly on the target: a client comparing GetStatus with the AbsoluteMove it sent must see equal numbers.
    if (elapsed * m.rate >= span) return m.target;
    return m.from + Math.sign(m.target - m.from) * elapsed * m.rate;
  }
}

export function isInRange(axis: Axis, value: number): boolean {
  const [lo, hi] = LIMITS[axis];
  return Number.isFinite(value) && value >= lo && value <= hi;
}
