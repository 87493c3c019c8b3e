/**
 * One HTTP exchange with a camera under a hard deadline. The deadline covers connect, headers and body: a camera
 * that accepts the TCP connection and then never answers (a common state of a browned-out high-mast unit) has its
 * socket destroyed at the deadline instead of holding it for the OS's idle timeout.
 * No keep-alive: field cameras drop idle connections without FIN often enough that a pooled socket is a liability.
 */
import http from 'node:http';
import https from 'node:https';
import { AppError } from '../common/errors.ts';
import { CameraErrorCode, cameraError, describeAddress, mapNetworkError } from './camera-errors.ts';

export interface HttpExchange {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Operation name for messages, e.g. "GetDeviceInformation" or "snapshot". */
  operation: string;
  signal: AbortSignal;
  maxBytes?: number;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** All WWW-Authenticate values, in order (a camera may send one per algorithm). */
  authenticate: string[];
  body: Buffer;
}

const DEFAULT_MAX_BYTES = 16 << 20;

/** Converts an abort reason into the error the caller should see. */
function abortError(signal: AbortSignal, address: string, operation: string): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  return cameraError(CameraErrorCode.TIMEOUT, `Camera at ${describeAddress(address)} did not answer ${operation} in time.`, {
    address: describeAddress(address),
    operation,
    cause: 'aborted',
  });
}

export function httpExchange(x: HttpExchange): Promise<HttpResult> {
  const url = new URL(x.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(
      cameraError(CameraErrorCode.BAD_RESPONSE, `Unsupported camera URL scheme '${url.protocol}'.`, {
        address: describeAddress(x.url),
        operation: x.operation,
      }),
    );
  }
  if (x.signal.aborted) return Promise.reject(abortError(x.signal, x.url, x.operation));
  const lib = url.protocol === 'https:' ? https : http;
  const body = x.body === undefined ? undefined : Buffer.from(x.body, 'utf8');
  const headers = { ...x.headers, ...(body ? { 'content-length': String(body.length) } : {}), connection: 'close' };
  return new Promise<HttpResult>((resolve, reject) => {
    let settled = false;
    const finish = (err: AppError | undefined, result?: HttpResult): void => {
      if (settled) return;
      settled = true;
      x.signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(result!);
    };
    const req = lib.request(url, { method: x.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > (x.maxBytes ?? DEFAULT_MAX_BYTES)) {
          finish(
            cameraError(CameraErrorCode.BAD_RESPONSE, `Camera at ${describeAddress(x.url)} sent an oversized ${x.operation} response.`, {
              address: describeAddress(x.url),
              operation: x.operation,
              cause: `more than ${x.maxBytes ?? DEFAULT_MAX_BYTES} bytes`,
            }),
          );
          req.destroy();
        } else chunks.push(c);
      });
      res.on('end', () => {
        const authenticate: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (res.rawHeaders[i]?.toLowerCase() === 'www-authenticate') authenticate.push(res.rawHeaders[i + 1] ?? '');
        }
        finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, authenticate, body: Buffer.concat(chunks) });
      });
      res.on('error', (err) => finish(x.signal.aborted ? abortError(x.signal, x.url, x.operation) : mapNetworkError(err, x.url, x.operation)));
    });
    const onAbort = (): void => {
      finish(abortError(x.signal, x.url, x.operation));
      req.destroy();
    };
    x.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish(x.signal.aborted ? abortError(x.signal, x.url, x.operation) : mapNetworkError(err, x.url, x.operation)));
    req.end(body);
  });
}

/**
 * A signal that fires after timeoutMs (reason: CAMERA_TIMEOUT naming the operation) or when the caller's signal fires.
 * The returned dispose() clears the timer so a finished call leaves nothing scheduled.
 */
export function deadline(address: string, operation: string, timeoutMs: number, outer?: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  const timer = setTimeout(() => {
    ctl.abort(
      cameraError(CameraErrorCode.TIMEOUT, `Camera at ${describeAddress(address)} did not answer ${operation} within ${timeoutMs} ms.`, {
        address: describeAddress(address),
        operation,
        cause: `timeout ${timeoutMs} ms`,
      }),
    );
  }, timeoutMs);
  const onOuter = (): void => ctl.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  return {
    signal: ctl.signal,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}
