import { describe, expect, it } from 'vitest';
import { find, parseXml, path } from '../../services/cameras/xml.ts';

describe('SOAP XML reader', () => {
  it('addresses elements by local name whatever prefix the camera uses', () => {
    const doc = parseXml(
      `<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="x"><SOAP-ENV:Body><tds:R xmlns:tds="y">` +
        `<tt:Name>A &amp; B &#x41;</tt:Name><Uri><![CDATA[http://h/p?a=1&b=2]]></Uri><P token="t&quot;1"/></tds:R></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
    );
    expect(doc.name).toBe('Envelope');
    expect(path(doc, 'Body', 'R', 'Name')?.text).toBe('A & B A');
    expect(find(doc, 'Uri')?.text).toBe('http://h/p?a=1&b=2');
    expect(find(doc, 'P')?.attrs).toEqual({ token: 't"1' });
  });

  it('refuses DTDs (entity expansion) and malformed documents', () => {
    expect(() => parseXml('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')).toThrow(/DTD/);
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<html><body>Login')).toThrow();
    expect(() => parseXml('\u0000\u00ff garbage')).toThrow();
  });
});
