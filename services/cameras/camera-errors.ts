/**
 * Coded camera errors. Messages are written for the operator who reads them in the dashboard: what failed, on which
 * camera address, and what to check. HTTP statuses are those of *our* API: a camera rejecting our stored password is a
 * 502 (the operator's own session is fine), not a 401 that would log the operator out.
 */
import { AppError } from '../common/errors.ts';

export const CameraErrorCode = {
  UNREACHABLE: 'CAMERA_UNREACHABLE',
  AUTH_FAILED: 'CAMERA_AUTH_FAILED',
  TIMEOUT: 'CAMERA_TIMEOUT',
  BAD_RESPONSE: 'CAMERA_BAD_RESPONSE',
  CLOCK_SKEW: 'CAMERA_CLOCK_SKEW',
  /** The camera understood the request and refused it with a SOAP fault (e.g. unknown preset). */
  REJECTED: 'CAMERA_REJECTED',
} as const;
export type CameraErrorCode = (typeof CameraErrorCode)[keyof typeof CameraErrorCode];

export interface CameraErrorDetails {
  address: string;
  operation: string;
  cause?: string;
  httpStatus?: number;
  fault?: { code: string; subcodes: string[]; reason: string };
}

const STATUS: Record<CameraErrorCode, number> = {
  CAMERA_UNREACHABLE: 503,
  CAMERA_AUTH_FAILED: 502,
  CAMERA_TIMEOUT: 504,
  CAMERA_BAD_RESPONSE: 502,
  CAMERA_CLOCK_SKEW: 502,
  CAMERA_REJECTED: 502,
};

export function cameraError(code: CameraErrorCode, message: string, details: CameraErrorDetails, status = STATUS[code]): AppError {
  return new AppError(code, status, message, details);
}

export function isCameraError(err: unknown, code?: CameraErrorCode): err is AppError {
  return err instanceof AppError && err.code.startsWith('CAMERA_') && (code === undefined || err.code === code);
}

/** Where the camera is, without credentials, for messages and logs. */
export function describeAddress(address: string): string {
  try {
    const u = new URL(address);
    return u.host;
  } catch {
    return address;
  }
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed',
  EADDRNOTAVAIL: 'address not available',
};

/** Maps a socket-level error from node:http to CAMERA_UNREACHABLE (or BAD_RESPONSE for protocol garbage). */
export function mapNetworkError(err: unknown, address: string, operation: string): AppError {
  const e = err as NodeJS.ErrnoException;
  const where = describeAddress(address);
  const why = (e.code && UNREACHABLE_CODES[e.code]) ?? undefined;
  if (why !== undefined || e.message === 'socket hang up') {
    return cameraError(
      CameraErrorCode.UNREACHABLE,
      `Camera at ${where} is unreachable (${why ?? 'connection closed'}) during ${operation}. Check power, network link and the configured address.`,
      { address: where, operation, cause: e.code ?? e.message },
    );
  }
  if (e.code?.startsWith('HPE_')) {
    return cameraError(CameraErrorCode.BAD_RESPONSE, `Camera at ${where} sent malformed HTTP during ${operation}.`, {
      address: where,
      operation,
      cause: e.code,
    });
  }
  return cameraError(CameraErrorCode.UNREACHABLE, `Camera at ${where} could not be contacted during ${operation}: ${e.message}.`, {
    address: where,
    operation,
    cause: e.code ?? e.message,
  });
}
