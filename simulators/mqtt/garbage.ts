/**
 * Payloads a broken or hostile device sends on its own telemetry topic. The service must acknowledge each one (so the
 * device does not resend it forever) and dead-letter it with a reason (docs/mqtt-contract.md), never store it as data.
 */
export const GARBAGE_VARIANTS = ['malformed-json', 'not-an-object', 'unknown-metric', 'wrong-type', 'binary'] as const;
export type GarbageVariant = (typeof GARBAGE_VARIANTS)[number];

/** The payload for a variant; `n` varies the bytes so repeated garbage is not identical. */
export function garbagePayload(variant: GarbageVariant, n: number): string | Buffer {
  switch (variant) {
    case 'malformed-json':
      return `{"ts": ${n}, "metrics": {"power": 12.`;
    case 'not-an-object':
      return JSON.stringify([n, 'metrics']);
    case 'unknown-metric':
      return JSON.stringify({ metrics: { flux_capacitor: n } });
    case 'wrong-type':
      return JSON.stringify({ metrics: { power: 'a lot' }, seq: n });
    case 'binary':
      // A firmware bug that writes a raw struct instead of JSON.
      return Buffer.from([0x00, 0xff, 0x13, n & 0xff, 0xfe, 0x00, 0x7f]);
  }
}
