/**
 * WS-Discovery (OASIS WS-Discovery 1.1 / the 2005/04 draft ONVIF Core §7.3 uses) responder for a simulated fleet.
 * Bound to a loopback address only; it answers unicast Probes and, if asked, Probes sent to the multicast group on the
 * loopback interface. One ProbeMatches datagram per camera, as separate devices would send.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { section, text, xmlEscape } from './soap-envelope.ts';

export const WSD_MULTICAST_GROUP = '239.255.255.250';
const WSD_NS = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
const WSA_NS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';

export interface DiscoverableDevice {
  endpointUuid: string;
  xaddr: string;
  scopes: string[];
  /** Offline cameras do not answer. */
  online: () => boolean;
}

export interface ResponderOptions {
  address?: string;
  port?: number;
  /** Join 239.255.255.250 on the loopback interface so multicast Probes (sent with IP_MULTICAST_IF=127.0.0.1) arrive. */
  joinMulticast?: boolean;
}

/** A Probe matches a camera if it names no Types, or asks for NetworkVideoTransmitter or Device (ONVIF Core §7.3.2). */
function probeWants(xml: string): boolean {
  const types = text(xml, 'Types');
  if (types === undefined || types === '') return true;
  return types.split(/\s+/).some((t) => /(^|:)(NetworkVideoTransmitter|Device)$/.test(t));
}

function probeMatches(relatesTo: string, dev: DiscoverableDevice): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="${WSA_NS}" xmlns:d="${WSD_NS}" ` +
    `xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">` +
    `<env:Header><wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID><wsa:RelatesTo>${xmlEscape(relatesTo)}</wsa:RelatesTo>` +
    `<wsa:To>${WSA_NS}/role/anonymous</wsa:To><wsa:Action>${WSD_NS}/ProbeMatches</wsa:Action></env:Header>` +
    `<env:Body><d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference><wsa:Address>urn:uuid:${dev.endpointUuid}</wsa:Address>` +
    `</wsa:EndpointReference><d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>` +
    `<d:Scopes>${dev.scopes.map(xmlEscape).join(' ')}</d:Scopes><d:XAddrs>${xmlEscape(dev.xaddr)}</d:XAddrs>` +
    `<d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></env:Body></env:Envelope>`
  );
}

export class DiscoveryResponder {
  private readonly sockets: dgram.Socket[] = [];
  probesSeen = 0;

  constructor(
    private readonly devices: () => DiscoverableDevice[],
    private readonly opts: ResponderOptions = {},
  ) {}

  get port(): number {
    return (this.sockets[0]?.address() as AddressInfo | undefined)?.port ?? 0;
  }

  async start(): Promise<void> {
    const address = this.opts.address ?? '127.0.0.1';
    await this.open(address, this.opts.port ?? 3702);
    if (this.opts.joinMulticast) {
      // Linux delivers a multicast datagram only to sockets bound to the wildcard or to the group itself, so a second
      // socket binds the group (never 0.0.0.0, which would listen on real interfaces) and joins it on loopback.
      const s = await this.open(WSD_MULTICAST_GROUP, this.port);
      s.addMembership(WSD_MULTICAST_GROUP, address);
    }
  }

  async close(): Promise<void> {
    const all = this.sockets.splice(0);
    await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private async open(address: string, port: number): Promise<dgram.Socket> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (msg, rinfo) => this.onMessage(socket, msg.toString('utf8'), rinfo));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined);
    this.sockets.push(socket);
    return socket;
  }

  private onMessage(socket: dgram.Socket, xml: string, rinfo: dgram.RemoteInfo): void {
    const action = text(xml, 'Action') ?? '';
    const probe = section(xml, 'Probe');
    if (!action.endsWith('/Probe') || probe === undefined) return;
    this.probesSeen += 1;
    if (!probeWants(probe)) return;
    const messageId = text(xml, 'MessageID') ?? '';
    for (const dev of this.devices()) {
      if (!dev.online()) continue;
      socket.send(Buffer.from(probeMatches(messageId, dev)), rinfo.port, rinfo.address);
    }
  }
}
