/**
 * WS-Discovery Probe client (WS-Discovery 2005/04 as ONVIF Core §7.3 uses it). The Probe leaves only through the
 * chosen local address: the socket is bound to it and, for multicast, IP_MULTICAST_IF is set to it with TTL 1, so
 * nothing is sprayed on interfaces the operator did not pick. A unicast target (a camera's IP) works too, which is
 * also how the tests stay on 127.0.0.1.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { randomUUID } from 'node:crypto';
import { badRequest } from '../common/errors.ts';
import { child, find, parseXml, path } from './xml.ts';

export const WSD_MULTICAST = '239.255.255.250';
export const WSD_PORT = 3702;

export interface DiscoverOptions {
  /** Local IPv4 address of the interface to probe on (required: no wildcard). */
  bindAddress: string;
  /** Multicast group (default) or a unicast camera address. */
  targetAddress?: string;
  port?: number;
  timeoutMs?: number;
}

export interface DiscoveredCamera {
  /** wsa:EndpointReference/Address, stable across IP changes (urn:uuid:…). */
  endpoint: string;
  xaddrs: string[];
  scopes: string[];
  types: string[];
  /** Address the ProbeMatch came from. */
  from: string;
}

function probeMessage(messageId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
    `xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">` +
    `<s:Header><a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>` +
    `<a:MessageID>${messageId}</a:MessageID><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
    `</s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>`
  );
}

/** Parses a ProbeMatches datagram; returns [] for anything else (other devices' chatter, other probes). */
export function parseProbeMatches(xml: string, expectRelatesTo: string, from: string): DiscoveredCamera[] {
  let doc;
  try {
    doc = parseXml(xml);
  } catch {
    return [];
  }
  if (path(doc, 'Header', 'RelatesTo')?.text !== expectRelatesTo) return [];
  const matches = find(doc, 'ProbeMatches')?.children.filter((c) => c.name === 'ProbeMatch') ?? [];
  const split = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter(Boolean);
  return matches.map((m) => ({
    endpoint: path(m, 'EndpointReference', 'Address')?.text ?? '',
    xaddrs: split(child(m, 'XAddrs')?.text),
    scopes: split(child(m, 'Scopes')?.text),
    types: split(child(m, 'Types')?.text),
    from,
  }));
}

function isMulticast(addr: string): boolean {
  const first = Number(addr.split('.')[0]);
  return first >= 224 && first <= 239;
}

export async function discover(opts: DiscoverOptions): Promise<DiscoveredCamera[]> {
  const target = opts.targetAddress ?? WSD_MULTICAST;
  if (isIP(opts.bindAddress) !== 4 || opts.bindAddress === '0.0.0.0') {
    throw badRequest('DISCOVERY_BAD_INTERFACE', `Discovery needs the IPv4 address of one local interface, not '${opts.bindAddress}'.`);
  }
  if (isIP(target) !== 4) throw badRequest('DISCOVERY_BAD_TARGET', `Discovery target must be an IPv4 address, not '${target}'.`);
  const messageId = `urn:uuid:${randomUUID()}`;
  const found = new Map<string, DiscoveredCamera>();
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    for (const cam of parseProbeMatches(msg.toString('utf8'), messageId, rinfo.address)) {
      const key = cam.endpoint || cam.xaddrs.join(' ');
      const prev = found.get(key);
      found.set(key, prev ? { ...prev, xaddrs: [...new Set([...prev.xaddrs, ...cam.xaddrs])] } : cam);
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, opts.bindAddress, () => resolve());
    });
    // A send error (e.g. no route for the group on that interface) must end this probe, not the process.
    socket.on('error', () => undefined);
    if (isMulticast(target)) {
      socket.setMulticastInterface(opts.bindAddress);
      socket.setMulticastTTL(1); // WS-Discovery §2.4: multicast Probes are link-local
    }
    const probe = Buffer.from(probeMessage(messageId));
    const send = (): void => socket.send(probe, opts.port ?? WSD_PORT, target);
    // UDP is lossy; WS-Discovery Appendix I repeats a Probe once (MULTICAST_UDP_REPEAT=1). Duplicates are merged above.
    send();
    const repeat = setTimeout(send, Math.min(250, (opts.timeoutMs ?? 3000) / 4));
    await new Promise((r) => setTimeout(r, opts.timeoutMs ?? 3000));
    clearTimeout(repeat);
  } finally {
    socket.close();
  }
  return [...found.values()];
}
