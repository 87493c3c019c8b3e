import { describe, expect, it } from 'vitest';
import { authorizeDevicePublish, authorizeDeviceSubscribe } from '../../services/broker/acl.ts';
import type { AclDecision } from '../../services/broker/acl.ts';

const DEPTH = 6;
const code = <T>(d: AclDecision<T>): string => (d.ok ? 'OK' : d.code);

describe('publish', () => {
  it.each(['telemetry', 'event', 'status', 'ack'])('lets a device publish on its own %s topic', (channel) => {
    expect(authorizeDevicePublish('sl-001', `sw/v1/sl-001/${channel}`, DEPTH)).toEqual({ ok: true, value: channel });
  });

  it("refuses another device's topic as FOREIGN_TOPIC", () => {
    expect(code(authorizeDevicePublish('sl-001', 'sw/v1/sl-002/telemetry', DEPTH))).toBe('FOREIGN_TOPIC');
  });

  it('refuses $SYS and other $-topics', () => {
    expect(code(authorizeDevicePublish('sl-001', '$SYS/broker/clients', DEPTH))).toBe('SYS_TOPIC');
    expect(code(authorizeDevicePublish('sl-001', '$share/g/sw/v1/sl-001/telemetry', DEPTH))).toBe('SYS_TOPIC');
  });

  it('refuses publishing on the command channel (devices only read it) and on unknown channels', () => {
    expect(code(authorizeDevicePublish('sl-001', 'sw/v1/sl-001/cmd', DEPTH))).toBe('UNKNOWN_TOPIC');
    expect(code(authorizeDevicePublish('sl-001', 'sw/v1/sl-001/debug', DEPTH))).toBe('UNKNOWN_TOPIC');
  });

  it('refuses topics outside sw/v1/{id}/{channel}', () => {
    for (const topic of ['sw/v2/sl-001/telemetry', 'sw/v1/sl-001', 'sw/v1/SL-001/telemetry', 'sw/v1//telemetry', 'other/topic']) {
      expect(code(authorizeDevicePublish('sl-001', topic, DEPTH)), topic).toBe('UNKNOWN_TOPIC');
    }
  });

  it('refuses topics deeper than the limit, checked before parsing', () => {
    expect(code(authorizeDevicePublish('sl-001', 'sw/v1/sl-001/telemetry/a/b', DEPTH))).toBe('UNKNOWN_TOPIC');
    expect(code(authorizeDevicePublish('sl-001', 'sw/v1/sl-001/telemetry/a/b/c', DEPTH))).toBe('TOPIC_TOO_DEEP');
    expect(code(authorizeDevicePublish('sl-001', 'sw/v1/sl-001/telemetry', 3))).toBe('TOPIC_TOO_DEEP');
  });
});

describe('subscribe', () => {
  it('lets a device subscribe to its own command topic', () => {
    expect(authorizeDeviceSubscribe('ap-7', 'sw/v1/ap-7/cmd', DEPTH)).toEqual({ ok: true, value: 'sw/v1/ap-7/cmd' });
  });

  it('refuses wildcards, even ones that would only match its own topics', () => {
    for (const filter of ['#', 'sw/v1/+/cmd', 'sw/v1/ap-7/#', 'sw/v1/ap-7/+', '+/+/+/+']) {
      expect(code(authorizeDeviceSubscribe('ap-7', filter, DEPTH)), filter).toBe('WILDCARD');
    }
  });

  it("refuses another device's command topic as FOREIGN_TOPIC", () => {
    expect(code(authorizeDeviceSubscribe('ap-7', 'sw/v1/ap-8/cmd', DEPTH))).toBe('FOREIGN_TOPIC');
  });

  it('refuses any topic but cmd, including its own telemetry', () => {
    expect(code(authorizeDeviceSubscribe('ap-7', 'sw/v1/ap-7/telemetry', DEPTH))).toBe('UNKNOWN_TOPIC');
    expect(code(authorizeDeviceSubscribe('ap-7', 'sw/v1/ap-8/telemetry', DEPTH))).toBe('UNKNOWN_TOPIC');
  });

  it('refuses $SYS before looking at wildcards', () => {
    expect(code(authorizeDeviceSubscribe('ap-7', '$SYS/#', DEPTH))).toBe('SYS_TOPIC');
  });

  it('refuses filters deeper than the limit', () => {
    expect(code(authorizeDeviceSubscribe('ap-7', 'sw/v1/ap-7/cmd/a/b/c', DEPTH))).toBe('TOPIC_TOO_DEEP');
  });
});
