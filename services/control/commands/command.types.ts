/** Shapes of the command lifecycle (docs/control.md). */

export const DELIVERY_STATES = ['queued', 'sent', 'acknowledged', 'failed', 'expired', 'cancelled'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export const OPEN_STATES: readonly DeliveryState[] = ['queued', 'sent'];

/** What a command is for: one device, a list, a zone or residential group (with its sub-zones), a kind, a tag, a ward. */
export type Target =
  | { type: 'device'; id: string }
  | { type: 'devices'; ids: string[] }
  | { type: 'zone'; id: string }
  | { type: 'kind'; kind: string }
  | { type: 'tag'; tag: string }
  | { type: 'ward'; code: string };

export interface SendRequest {
  /** Idempotency key; generated when absent. */
  id?: string;
  name: string;
  params: Record<string, unknown>;
  target: Target;
  /** Only devices of this kind within the target. */
  kind?: string;
  /** When undelivered parts give up (ISO); or ttlS from now. Default: one hour. */
  expiresAt?: string;
  ttlS?: number;
  /** Sends per device before it counts as failed (default 3). */
  maxAttempts?: number;
}

/** Who asks: a person through the API, or a service part (scheduler, lighting, radio) on its own. */
export interface Origin {
  actor: string;
  role: string | null;
  origin: 'api' | 'scheduler' | 'lighting' | 'radio';
  /** The address the caller reached the service at (links the service signs for devices start with it). */
  baseUrl?: string;
}

export interface CommandCounts {
  queued: number;
  sent: number;
  acknowledged: number;
  failed: number;
  expired: number;
  cancelled: number;
}

/** The command's overall state, derived from its deliveries. */
export type CommandState = 'queued' | 'sent' | 'acknowledged' | 'failed' | 'expired' | 'cancelled' | 'partial';

export interface CommandView {
  id: string;
  name: string;
  params: Record<string, unknown>;
  target: Target;
  origin: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  maxAttempts: number;
  deviceCount: number;
  cancelledAt: string | null;
  cancelledBy: string | null;
  state: CommandState;
  /** The state in words for operators, Vietnamese first. */
  stateLabel: { vi: string; en: string };
  counts: CommandCounts;
}

export interface DeliveryView {
  deviceId: string;
  kind: string;
  state: DeliveryState;
  attempts: number;
  sentAt: string | null;
  ackDeadline: string | null;
  ackedAt: string | null;
  finishedAt: string | null;
  ackStatus: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  finalBy: 'device' | 'service' | null;
}

/** A delivery that reached a final state: published to other modules as `command.outcome`. */
export interface CommandOutcome {
  commandId: string;
  deviceId: string;
  status: DeliveryState;
  at: Date;
}

export function overallState(c: CommandCounts): CommandState {
  if (c.sent > 0) return 'sent';
  if (c.queued > 0) return 'queued';
  const total = c.acknowledged + c.failed + c.expired + c.cancelled;
  if (c.acknowledged === total) return 'acknowledged';
  if (c.acknowledged > 0) return 'partial';
  if (c.cancelled === total) return 'cancelled';
  if (c.expired === total) return 'expired';
  return 'failed';
}

export const STATE_LABELS: Record<CommandState, { vi: string; en: string }> = {
  queued: { vi: 'Đang chờ gửi (thiết bị chưa kết nối)', en: 'Queued (device not connected)' },
  sent: { vi: 'Đã gửi, chờ thiết bị xác nhận', en: 'Sent, awaiting acknowledgement' },
  acknowledged: { vi: 'Thiết bị đã xác nhận', en: 'Acknowledged' },
  failed: { vi: 'Không thực hiện được', en: 'Failed' },
  expired: { vi: 'Hết hạn trước khi tới thiết bị', en: 'Expired before delivery' },
  cancelled: { vi: 'Đã huỷ', en: 'Cancelled' },
  partial: { vi: 'Chỉ một phần thiết bị đã xác nhận', en: 'Acknowledged by part of the devices' },
};
