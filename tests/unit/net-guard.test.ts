import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../services/config/config.ts';
import { NetGuard, parseCidr } from '../../services/common/net-guard.ts';

describe('outbound allow-lists', () => {
  it('parses CIDR blocks and refuses what is not one', () => {
    expect(parseCidr('10.20.0.0/16')).toMatchObject({ family: 4, prefix: 16 });
    expect(parseCidr('fd00::/8')).toMatchObject({ family: 6, prefix: 8 });
    expect(parseCidr('192.0.2.7')).toMatchObject({ prefix: 32 });
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.org/8', '10.0.0/8', '']) expect(() => parseCidr(bad), bad).toThrow();
  });

  it('refuses a bad allow-list at start, naming the key', () => {
    expect(() => loadConfig({}, { SW_NETWORKS_CAMERA: '10.0.0.0/8,10.0.0.0/40' })).toThrow(ConfigError);
    try {
      loadConfig({}, { SW_NETWORKS_WEBHOOK: '1.2.3.4/99' });
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toContain('SW_NETWORKS_WEBHOOK');
    }
    expect(loadConfig({}, {}).security.networks.camera).toContain('192.168.0.0/16');
  });

  it('judges IPv4-mapped IPv6 as the IPv4 address, in both spellings', () => {
    const g = new NetGuard('webhook', ['0.0.0.0/0', '::/0']);
    expect(g.allows('::ffff:127.0.0.1')).toBe(false);
    expect(g.allows('::ffff:7f00:1')).toBe(false);
    expect(g.allows('::ffff:8.8.8.8')).toBe(true);
    const lan = new NetGuard('camera', ['10.0.0.0/8']);
    expect(lan.allows('::ffff:10.1.2.3')).toBe(true);
  });

  it('checks URLs: scheme, credentials and address hosts at once, names left to connect time', () => {
    const g = new NetGuard('live-source', ['0.0.0.0/0']);
    expect(() => g.checkUrl('ftp://8.8.8.8/')).toThrow(/Only http/);
    expect(() => g.checkUrl('http://u:p@8.8.8.8/')).toThrow(/username or password/);
    expect(() => g.checkUrl('http://127.0.0.1:5432/')).toThrow(/not in the allowed networks/);
    expect(() => g.checkUrl('http://localhost/')).toThrow(/not in the allowed networks/);
    expect(g.checkUrl('http://radio.example.vn/live').hostname).toBe('radio.example.vn');
  });
});
