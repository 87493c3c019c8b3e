/**
 * SOAP 1.2 plumbing for the simulated camera. Parsing here is deliberately regex-based on local names: the simulator
 * must accept whatever prefixes a client chooses (the `onvif` package, our driver, ONVIF Device Manager all differ),
 * and it must not share an XML parser with the driver it is testing, or a parser bug would hide on both sides.
 */

export const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tptz: 'http://www.onvif.org/ver20/ptz/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
} as const;

export const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

export function xmlEscape(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c] ?? ''};`);
}

export function xmlUnescape(value: string): string {
  return value
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

export function envelope(body: string): string {
  const xmlns = Object.entries(NS)
    .map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`)
    .join(' ');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope ${xmlns}><env:Body>${body}</env:Body></env:Envelope>`;
}

/** SOAP 1.2 Part 1 §5.4: Code/Value is env:Sender or env:Receiver; ONVIF Core §5.11.2 puts its ter: codes in Subcodes. */
export interface SoapFault {
  code: 'env:Sender' | 'env:Receiver';
  subcodes: string[];
  reason: string;
}

export function faultEnvelope(fault: SoapFault): string {
  const nest = (codes: string[]): string => {
    const [head, ...rest] = codes;
    return head === undefined ? '' : `<env:Subcode><env:Value>${head}</env:Value>${nest(rest)}</env:Subcode>`;
  };
  return envelope(
    `<env:Fault><env:Code><env:Value>${fault.code}</env:Value>${nest(fault.subcodes)}</env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${xmlEscape(fault.reason)}</env:Text></env:Reason></env:Fault>`,
  );
}

/** SOAP 1.2 Part 2 §7.5.1.2: a Sender fault travels as HTTP 400, every other fault as HTTP 500. */
export function faultHttpStatus(fault: SoapFault): number {
  return fault.code === 'env:Sender' ? 400 : 500;
}

export class SoapFaultError extends Error {
  constructor(readonly fault: SoapFault) {
    super(fault.reason);
  }
}

export const faults = {
  notAuthorized: (reason = 'Sender not Authorized'): SoapFault => ({
    code: 'env:Sender',
    subcodes: ['ter:NotAuthorized'],
    reason,
  }),
  actionNotSupported: (action: string): SoapFault => ({
    code: 'env:Receiver',
    subcodes: ['ter:ActionNotSupported'],
    reason: `Optional action ${action} not implemented`,
  }),
  invalidArg: (sub: string, reason: string): SoapFault => ({
    code: 'env:Sender',
    subcodes: ['ter:InvalidArgVal', `ter:${sub}`],
    reason,
  }),
  wellFormed: (): SoapFault => ({ code: 'env:Sender', subcodes: ['ter:WellFormed'], reason: 'Not a SOAP 1.2 envelope' }),
};

const NAME = '(?:[\\w.-]+:)?';

/** Local name of the first element inside soap:Body — the ONVIF operation. */
export function bodyAction(xml: string): string | undefined {
  const m = new RegExp(`<${NAME}Body\\b[^>]*>\\s*<${NAME}([\\w.-]+)`).exec(xml);
  return m?.[1];
}

/** Inner XML of the first element with this local name, or undefined. */
export function section(xml: string, local: string): string | undefined {
  const open = new RegExp(`<(${NAME}${local})\\b[^>]*?(/?)>`).exec(xml);
  if (!open) return undefined;
  if (open[2] === '/') return '';
  const start = open.index + open[0].length;
  const end = xml.indexOf(`</${open[1]}>`, start);
  return end < 0 ? undefined : xml.slice(start, end);
}

export function text(xml: string, local: string): string | undefined {
  const inner = section(xml, local);
  return inner === undefined ? undefined : xmlUnescape(inner.trim());
}

export function attributes(xml: string, local: string): Record<string, string> | undefined {
  const m = new RegExp(`<${NAME}${local}\\b([^>]*?)/?>`).exec(xml);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (const a of (m[1] ?? '').matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    out[(a[1] ?? '').replace(/^[\w.-]+:/, '')] = xmlUnescape(a[2] ?? a[3] ?? '');
  }
  return out;
}

/** xs:duration as used by ONVIF timeouts (PT5S, PT0.5S, PT1M30S). Returns ms or undefined if unparseable. */
export function parseDurationMs(value: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
  if (!m || value.trim() === 'P' || value.trim() === 'PT') return undefined;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((v) => Number(v ?? 0)) as [number, number, number, number];
  return Math.round((((d * 24 + h) * 60 + min) * 60 + s) * 1000);
}
