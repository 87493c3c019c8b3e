/**
 * The MQTT topic contract (docs/mqtt-contract.md). Every device topic is `sw/v1/{deviceId}/{channel}`.
 * Devices publish telemetry, event, status and ack; they subscribe only to cmd.
 */
export const TOPIC_ROOT = 'sw/v1';

export const DEVICE_PUBLISH_CHANNELS = ['telemetry', 'event', 'status', 'ack'] as const;
export type PublishChannel = (typeof DEVICE_PUBLISH_CHANNELS)[number];
export const COMMAND_CHANNEL = 'cmd';

export const DEVICE_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface ParsedTopic {
  deviceId: string;
  channel: string;
}

export function parseDeviceTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const deviceId = parts[2] ?? '';
  const channel = parts[3] ?? '';
  if (!DEVICE_ID_RE.test(deviceId)) return null;
  return { deviceId, channel };
}

export const topicFor = (deviceId: string, channel: PublishChannel | typeof COMMAND_CHANNEL): string => `${TOPIC_ROOT}/${deviceId}/${channel}`;

export const isPublishChannel = (c: string): c is PublishChannel => (DEVICE_PUBLISH_CHANNELS as readonly string[]).includes(c);
