import { Type } from 'typebox';
import { wifiApUi } from './ui.ts';
import { defineKind } from '../types.ts';

// Health metrics follow OpenWISP monitoring; counters are interface byte counters.
export const wifiAp = defineKind({
  name: 'wifi-ap',
  label: { vi: 'Điểm WiFi công cộng', en: 'Public WiFi access point' },
  transport: 'mqtt',
  idPrefix: 'ap',
  telemetry: {
    rttMs: { type: 'number', meaning: 'gauge', unit: 'ms', min: 0, max: 60000, doc: 'Round-trip time to the gateway' },
    packetLoss: { type: 'number', meaning: 'gauge', unit: '%', min: 0, max: 100, doc: 'Packet loss to the gateway' },
    clients24: { type: 'integer', meaning: 'gauge', unit: '', min: 0, max: 1000, doc: 'Associated clients on 2.4 GHz' },
    clients5: { type: 'integer', meaning: 'gauge', unit: '', min: 0, max: 1000, doc: 'Associated clients on 5 GHz' },
    rxBytes: { type: 'number', meaning: 'counter', unit: 'B', min: 0, max: 2 ** 64, doc: 'WAN received bytes' },
    txBytes: { type: 'number', meaning: 'counter', unit: 'B', min: 0, max: 2 ** 64, doc: 'WAN transmitted bytes' },
    cpuLoad: { type: 'number', meaning: 'gauge', unit: '', min: 0, max: 64, doc: '1-minute load average' },
    memUsed: { type: 'number', meaning: 'gauge', unit: '%', min: 0, max: 100, doc: 'Memory used' },
    diskUsed: { type: 'number', meaning: 'gauge', unit: '%', min: 0, max: 100, doc: 'Flash used' },
    channelUtil24: { type: 'number', meaning: 'gauge', unit: '%', min: 0, max: 100, doc: '2.4 GHz channel utilisation' },
    channelUtil5: { type: 'number', meaning: 'gauge', unit: '%', min: 0, max: 100, doc: '5 GHz channel utilisation' },
    signal: { type: 'number', meaning: 'gauge', unit: 'dBm', min: -150, max: 0, doc: '4G backhaul signal, where mobile' },
    sessions: { type: 'integer', meaning: 'counter', unit: '', min: 0, max: 2 ** 32, doc: 'Captive-portal sessions started' },
    ssidEnabled: { type: 'boolean', meaning: 'gauge', unit: '', doc: 'Public SSID broadcasting' },
    firmware: { type: 'string', maxLength: 64, unit: '', doc: 'Firmware version' },
  },
  events: {
    wanDown: { severity: 'critical', fault: true, doc: 'Uplink lost' },
    highLoad: { severity: 'warning', fault: true, doc: 'CPU or memory above threshold' },
    rebooted: { severity: 'info', fault: false, doc: 'The AP rebooted' },
    // RADIUS-accounting style session records and captive-portal logins (docs/wifi-marketing.md).
    sessionStart: { severity: 'info', fault: false, doc: 'A client session started: {sessionId, mac, ssid}', personal: ['mac'] },
    sessionUpdate: { severity: 'info', fault: false, doc: 'Interim accounting: {sessionId, bytesIn, bytesOut, durationS}' },
    sessionStop: { severity: 'info', fault: false, doc: 'A client session ended: {sessionId, bytesIn, bytesOut, durationS, cause}' },
    portalLogin: {
      severity: 'info',
      fault: false,
      personal: ['mac', 'phone'],
      doc: 'Captive-portal login with consent: {sessionId, mac, phone?, method, consentVersion, consentPurposes, language}',
    },
  },
  commands: {
    reboot: { doc: 'Reboot the access point.', params: Type.Object({}, { additionalProperties: false }), ackTimeoutS: 30 },
    setSsid: {
      doc: 'Enable or disable an SSID.',
      params: Type.Object({ ssid: Type.String({ minLength: 1, maxLength: 32 }), enabled: Type.Boolean() }, { additionalProperties: false }),
      ackTimeoutS: 20,
    },
  },
  capabilities: { sessions: { startEvent: 'sessionStart', updateEvent: 'sessionUpdate', stopEvent: 'sessionStop', loginEvent: 'portalLogin' } },
  health: { reportIntervalS: 300, maxReportIntervalS: 300, missedReportsOffline: 2.5 },
  alarms: {
    // "AP down longer than N minutes": N = 10 by default.
    down: { label: { vi: 'Điểm WiFi mất kết nối', en: 'Access point down' }, severity: 'critical', trigger: { type: 'offline', afterS: 600 } },
    wanDown: { label: { vi: 'Mất đường truyền Internet', en: 'Uplink lost' }, severity: 'critical', trigger: { type: 'fault', event: 'wanDown' } },
    packetLoss: {
      label: { vi: 'Mất gói cao', en: 'High packet loss' },
      severity: 'warning',
      trigger: { type: 'metric', metric: 'packetLoss', op: 'above', value: 20, consecutive: 3 },
    },
  },
  indicators: {
    system: { vi: 'Điểm WiFi công cộng cho các Tổ dân phố', en: 'Public WiFi points' },
    groupCoverage: true,
    // Distinct users come from the per-session records (keyed hashes of the client MAC), counted by services/wifi.
    sessions: { metric: 'sessions', uniqueUsersSource: 'wifi.sessions' },
    traffic: { metrics: ['rxBytes', 'txBytes'] },
  },
  ui: wifiApUi,
  ngsi: {
    type: 'WifiAccessPoint',
    properties: {
      clientsConnected24: { metric: 'clients24' },
      clientsConnected5: { metric: 'clients5' },
      rtt: { metric: 'rttMs' },
      packetLoss: { metric: 'packetLoss' },
    },
  },
});
