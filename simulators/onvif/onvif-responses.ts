/**
 * Response bodies of the simulated camera, shaped after ONVIF Device (ver10), Media (ver10) and PTZ (ver20) WSDLs.
 * Only the elements a Profile S client reads are filled in; values resemble a 1080p high-mast PTZ dome.
 */
import type { PtzPosition } from './ptz-model.ts';
import { xmlEscape } from './soap-envelope.ts';

export interface DeviceIdentity {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface Preset {
  token: string;
  name: string;
  position: PtzPosition;
}

export interface ServiceAddrs {
  device: string;
  media: string;
  ptz: string;
}

export const PROFILES = [
  { token: 'profile_main', name: 'mainStream', width: 1920, height: 1080, fps: 25, bitrate: 4096 },
  { token: 'profile_sub', name: 'subStream', width: 640, height: 360, fps: 15, bitrate: 512 },
] as const;

const PAN_TILT_SPACE = 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace';
const ZOOM_SPACE = 'http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace';

function dateTime(tag: string, d: Date, local = false): string {
  // Local time is Asia/Ho_Chi_Minh (UTC+7, no DST), as the ward's cameras are set.
  const t = local ? new Date(d.getTime() + 7 * 3600_000) : d;
  return (
    `<tt:${tag}><tt:Time><tt:Hour>${t.getUTCHours()}</tt:Hour><tt:Minute>${t.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${t.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${t.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${t.getUTCMonth() + 1}</tt:Month><tt:Day>${t.getUTCDate()}</tt:Day></tt:Date></tt:${tag}>`
  );
}

export function systemDateAndTime(now: Date): string {
  return (
    `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>` +
    `<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>ICT-7</tt:TZ></tt:TimeZone>` +
    `${dateTime('UTCDateTime', now)}${dateTime('LocalDateTime', now, true)}` +
    `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
  );
}

export function capabilities(addrs: ServiceAddrs): string {
  return (
    `<tds:GetCapabilitiesResponse><tds:Capabilities>` +
    `<tt:Device><tt:XAddr>${addrs.device}</tt:XAddr></tt:Device>` +
    `<tt:Media><tt:XAddr>${addrs.media}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
    `<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>` +
    `<tt:PTZ><tt:XAddr>${addrs.ptz}</tt:XAddr></tt:PTZ>` +
    `</tds:Capabilities></tds:GetCapabilitiesResponse>`
  );
}

export function services(addrs: ServiceAddrs): string {
  const svc = (ns: string, xaddr: string, major: number): string =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${xaddr}</tds:XAddr>` +
    `<tds:Version><tt:Major>${major}</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
  return (
    `<tds:GetServicesResponse>` +
    svc('http://www.onvif.org/ver10/device/wsdl', addrs.device, 2) +
    svc('http://www.onvif.org/ver10/media/wsdl', addrs.media, 2) +
    svc('http://www.onvif.org/ver20/ptz/wsdl', addrs.ptz, 2) +
    `</tds:GetServicesResponse>`
  );
}

export function deviceInformation(d: DeviceIdentity): string {
  return (
    `<tds:GetDeviceInformationResponse><tds:Manufacturer>${xmlEscape(d.manufacturer)}</tds:Manufacturer>` +
    `<tds:Model>${xmlEscape(d.model)}</tds:Model><tds:FirmwareVersion>${xmlEscape(d.firmwareVersion)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${xmlEscape(d.serialNumber)}</tds:SerialNumber><tds:HardwareId>${xmlEscape(d.hardwareId)}</tds:HardwareId>` +
    `</tds:GetDeviceInformationResponse>`
  );
}

export function profiles(): string {
  const one = (p: (typeof PROFILES)[number]): string =>
    `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="vsc_1"><tt:Name>VideoSource</tt:Name><tt:UseCount>2</tt:UseCount>` +
    `<tt:SourceToken>vs_1</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="vec_${p.token}"><tt:Name>${p.name}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>4</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${p.bitrate}</tt:BitrateLimit></tt:RateControl></tt:VideoEncoderConfiguration>` +
    `<tt:PTZConfiguration token="ptz_cfg_1"><tt:Name>PTZ</tt:Name><tt:UseCount>2</tt:UseCount><tt:NodeToken>ptz_node_1</tt:NodeToken>` +
    // "PantTilt" is the spelling in the ONVIF schema itself (onvif.xsd PTZConfiguration).
    `<tt:DefaultAbsolutePantTiltPositionSpace>${PAN_TILT_SPACE}</tt:DefaultAbsolutePantTiltPositionSpace>` +
    `<tt:DefaultPTZTimeout>PT5S</tt:DefaultPTZTimeout></tt:PTZConfiguration></trt:Profiles>`;
  return `<trt:GetProfilesResponse>${PROFILES.map(one).join('')}</trt:GetProfilesResponse>`;
}

export function videoSources(): string {
  return (
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="vs_1"><tt:Framerate>25</tt:Framerate>` +
    `<tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`
  );
}

export function mediaUri(tag: 'GetStreamUriResponse' | 'GetSnapshotUriResponse', uri: string): string {
  return (
    `<trt:${tag}><trt:MediaUri><tt:Uri>${xmlEscape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:${tag}>`
  );
}

function position(tag: string, p: PtzPosition): string {
  return (
    `<${tag}><tt:PanTilt x="${p.pan.toFixed(6)}" y="${p.tilt.toFixed(6)}" space="${PAN_TILT_SPACE}"/>` +
    `<tt:Zoom x="${p.zoom.toFixed(6)}" space="${ZOOM_SPACE}"/></${tag}>`
  );
}

export function ptzStatus(p: PtzPosition, panTiltMoving: boolean, zoomMoving: boolean, now: Date): string {
  const state = (moving: boolean): string => (moving ? 'MOVING' : 'IDLE');
  return (
    `<tptz:GetStatusResponse><tptz:PTZStatus>${position('tt:Position', p)}` +
    `<tt:MoveStatus><tt:PanTilt>${state(panTiltMoving)}</tt:PanTilt><tt:Zoom>${state(zoomMoving)}</tt:Zoom></tt:MoveStatus>` +
    `<tt:UtcTime>${now.toISOString()}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>`
  );
}

export function presets(list: Preset[]): string {
  const one = (p: Preset): string =>
    `<tptz:Preset token="${xmlEscape(p.token)}"><tt:Name>${xmlEscape(p.name)}</tt:Name>${position('tt:PTZPosition', p.position)}</tptz:Preset>`;
  return `<tptz:GetPresetsResponse>${list.map(one).join('')}</tptz:GetPresetsResponse>`;
}

export const empty = (prefix: 'tptz' | 'tds' | 'trt', tag: string): string => `<${prefix}:${tag}/>`;
