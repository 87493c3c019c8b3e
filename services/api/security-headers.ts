/**
 * Headers every response carries: the dashboard may not be framed (clickjacking of control buttons), types are not
 * sniffed (an uploaded audio file or a snapshot is never run as a script), no referrer leaves with signed links, and a
 * Content-Security-Policy that allows only the dashboard's own script and style files, its own API and WebSocket,
 * and the configured map tile server. /docs (Swagger UI, its own bundle) gets all but the CSP.
 */
import type { FastifyInstance } from 'fastify';

export function contentSecurityPolicy(tileUrl: string): string {
  let tiles = '';
  try {
    if (tileUrl) tiles = ` ${new URL(tileUrl.replace(/\{[a-z]\}/g, '0')).origin}`;
  } catch {
    tiles = '';
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Leaflet and the dashboard position elements with style attributes.
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${tiles}`,
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function installSecurityHeaders(app: FastifyInstance, tileUrl: string): void {
  const csp = contentSecurityPolicy(tileUrl);
  app.addHook('onSend', async (req, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('referrer-policy', 'no-referrer');
    // A route that sets a stricter policy of its own keeps it (the report's print view: no script at all, framed only by
    // the dashboard itself); everything else gets the dashboard's policy and may not be framed.
    const own = reply.getHeader('content-security-policy');
    if (typeof own === 'string' && own.includes("frame-ancestors 'self'")) void reply.header('x-frame-options', 'SAMEORIGIN');
    else {
      void reply.header('x-frame-options', 'DENY');
      if (!req.url.startsWith('/docs')) void reply.header('content-security-policy', csp);
    }
    return payload;
  });
}
