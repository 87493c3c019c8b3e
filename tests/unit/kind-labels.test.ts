import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from '../../devices/index.ts';
import { kindInfo, KindInfoSchema } from '../../devices/kind-info.ts';
import { Value } from 'typebox/value';

const kinds = DEVICE_KINDS.map((k) => [k.name, k] as const);
const both = (x: { vi: string; en: string } | undefined, where: string): void => {
  expect(x?.vi.trim().length, `${where} (vi)`).toBeGreaterThan(0);
  expect(x?.en.trim().length, `${where} (en)`).toBeGreaterThan(0);
};

describe('operator labels of the device kinds (devices/<kind>/ui.ts)', () => {
  it.each(kinds)('%s: every telemetry field, event, command and command parameter has a Vietnamese and an English label', (_n, k) => {
    for (const m of Object.keys(k.telemetry)) both(k.ui.telemetry[m], `${k.name}.telemetry.${m}`);
    for (const e of Object.keys(k.events)) both(k.ui.events[e], `${k.name}.events.${e}`);
    for (const [c, spec] of Object.entries(k.commands)) {
      both(k.ui.commands[c]?.label, `${k.name}.commands.${c}`);
      // A command offered as a form needs a label for each of its fields.
      if (k.ui.commands[c]?.form === false) continue;
      for (const p of Object.keys((spec.params as { properties?: Record<string, unknown> }).properties ?? {}))
        both(k.ui.commands[c]?.params?.[p], `${k.name}.commands.${c}.${p}`);
    }
  });

  it.each(kinds)('%s: labels name only fields the kind declares, and enum values have labels where any are given', (_n, k) => {
    for (const m of Object.keys(k.ui.telemetry)) expect(k.telemetry, `${k.name}.ui.telemetry.${m}`).toHaveProperty(m);
    for (const e of Object.keys(k.ui.events)) expect(k.events, `${k.name}.ui.events.${e}`).toHaveProperty(e);
    for (const c of Object.keys(k.ui.commands)) expect(k.commands, `${k.name}.ui.commands.${c}`).toHaveProperty(c);
    for (const [m, values] of Object.entries(k.ui.values ?? {})) {
      const spec = k.telemetry[m];
      expect(spec?.type, `${k.name}.ui.values.${m}`).toBe('enum');
      for (const v of spec && spec.type === 'enum' ? spec.values : []) both(values[v], `${k.name}.values.${m}.${v}`);
    }
  });

  it.each(kinds)('%s: GET /kinds describes it by the published schema', (_n, k) => {
    const info = kindInfo(k);
    expect(Value.Check(KindInfoSchema, info)).toBe(true);
    expect(Object.keys(info.commands)).toEqual(Object.keys(k.commands));
  });
});
