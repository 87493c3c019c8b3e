/**
 * Deterministic pseudo-randomness for the device models. Noise is a hash of (seed, time, salt) rather than a stateful
 * generator, so a model's readings are a pure function of its state and the clock: the same seed and the same times
 * give the same telemetry, whichever order the readings are taken in.
 */

/** 32-bit integer mix (the finaliser of MurmurHash3): small input changes flip about half the output bits. */
function mix32(h: number): number {
  let x = h >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hashes any number of finite numbers (epoch milliseconds included) into one unsigned 32-bit value. */
export function hashNumbers(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Epoch ms exceed 32 bits: fold the high and low words in separately so no part of the time is lost.
    const lo = Math.floor(p) % 0x1_0000_0000;
    const hi = Math.floor(Math.floor(p) / 0x1_0000_0000);
    h = mix32(h ^ lo);
    h = mix32(h ^ hi ^ 0x27d4eb2f);
  }
  return h;
}

/** FNV-1a of a string: turns a device id into a stable default seed. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A uniform value in [0, 1) fixed for this seed and salt: per-device constants such as rated power. */
export function unit(seed: number, salt: number): number {
  return hashNumbers(seed, salt) / 0x1_0000_0000;
}

/** A uniform value in [-1, 1) for this seed, time and salt: measurement noise that is reproducible. */
export function noise(seed: number, t: number, salt: number): number {
  return (hashNumbers(seed, t, salt) / 0x1_0000_0000) * 2 - 1;
}

export const round = (v: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
};

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
