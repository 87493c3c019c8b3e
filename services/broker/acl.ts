import { COMMAND_CHANNEL, isPublishChannel, parseDeviceTopic, type PublishChannel } from './topics.ts';

/** Why the broker refused something. Every refusal is counted under its code and logged. */
export type RefusalCode =
  | 'BAD_CREDENTIALS'
  | 'UNKNOWN_DEVICE'
  | 'CLIENT_ID_MISMATCH'
  | 'BAD_WILL'
  | 'RATE_LIMITED'
  | 'SYS_TOPIC'
  | 'WILDCARD'
  | 'FOREIGN_TOPIC'
  | 'UNKNOWN_TOPIC'
  | 'TOPIC_TOO_DEEP'
  | 'QOS2_NOT_SUPPORTED'
  // Hostile-network limits (services/broker/frame-guard.ts, conn-guard.ts, broker.service.ts).
  | 'TOO_MANY_PENDING'
  | 'PACKET_TOO_LARGE'
  | 'MALFORMED_PACKET'
  | 'PRELOGIN_TOO_MUCH'
  | 'SUBSCRIBE_FLOOD'
  | 'CREDENTIALS_REVOKED';

export type AclDecision<T> = { ok: true; value: T } | { ok: false; code: RefusalCode; reason: string };

const refuse = <T>(code: RefusalCode, reason: string): AclDecision<T> => ({ ok: false, code, reason });

function depth(topic: string): number {
  return topic.split('/').length;
}

/** A device may publish only on its own publish channels. */
export function authorizeDevicePublish(deviceId: string, topic: string, maxDepth: number): AclDecision<PublishChannel> {
  // [MQTT-4.7.2-1] $-topics are the server's; a client must not publish there.
  if (topic.startsWith('$')) return refuse('SYS_TOPIC', `topic '${topic}' is reserved for the broker`);
  if (depth(topic) > maxDepth) return refuse('TOPIC_TOO_DEEP', `topic has more than ${maxDepth} levels`);
  const parsed = parseDeviceTopic(topic);
  if (!parsed) return refuse('UNKNOWN_TOPIC', `topic '${topic}' is not sw/v1/{deviceId}/{channel}`);
  if (parsed.deviceId !== deviceId) return refuse('FOREIGN_TOPIC', `device '${deviceId}' may not publish as '${parsed.deviceId}'`);
  if (!isPublishChannel(parsed.channel)) return refuse('UNKNOWN_TOPIC', `channel '${parsed.channel}' is not one a device publishes on`);
  return { ok: true, value: parsed.channel };
}

/** A device may subscribe only to its own command topic, literally (no wildcards). */
export function authorizeDeviceSubscribe(deviceId: string, filter: string, maxDepth: number): AclDecision<string> {
  if (filter.startsWith('$')) return refuse('SYS_TOPIC', `filter '${filter}' is reserved for the broker`);
  if (filter.includes('#') || filter.includes('+')) return refuse('WILDCARD', `wildcard filter '${filter}' is not allowed`);
  if (depth(filter) > maxDepth) return refuse('TOPIC_TOO_DEEP', `filter has more than ${maxDepth} levels`);
  const parsed = parseDeviceTopic(filter);
  if (!parsed || parsed.channel !== COMMAND_CHANNEL) return refuse('UNKNOWN_TOPIC', `devices may subscribe only to sw/v1/{deviceId}/cmd`);
  if (parsed.deviceId !== deviceId) return refuse('FOREIGN_TOPIC', `device '${deviceId}' may not read commands of '${parsed.deviceId}'`);
  return { ok: true, value: filter };
}
