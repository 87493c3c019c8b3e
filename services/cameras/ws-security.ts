/**
 * WS-UsernameToken with PasswordDigest (OASIS WSS UsernameToken Profile 1.0 §3.1), the auth ONVIF Core §5.9.4 requires:
 *   PasswordDigest = Base64( SHA-1( nonce + created + password ) )
 * where nonce is the raw bytes (sent Base64-encoded) and created is the exact xsd:dateTime string sent in wsu:Created.
 * `created` must be on the *camera's* clock: cameras reject tokens outside a freshness window (typically ±5 min), so the
 * driver adds the offset it measured with GetSystemDateAndTime.
 */
import { createHash, randomBytes } from 'node:crypto';
import { xmlEscape } from './xml.ts';

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const BASE64_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

export interface UsernameTokenInput {
  username: string;
  password: string;
  /** Local time plus the measured camera clock offset, in ms since the epoch. */
  cameraNowMs: number;
  /** Injected only by tests; 16 random bytes otherwise. */
  nonce?: Buffer;
}

/** The wsse:Security header block. mustUnderstand="1" so a camera that ignores it fails loudly (SOAP 1.2 §5.2.3). */
export function securityHeader(input: UsernameTokenInput): string {
  const nonce = input.nonce ?? randomBytes(16);
  const created = new Date(input.cameraNowMs).toISOString();
  const digest = passwordDigest(nonce, created, input.password);
  return (
    `<wsse:Security xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}" s:mustUnderstand="1"><wsse:UsernameToken>` +
    `<wsse:Username>${xmlEscape(input.username)}</wsse:Username>` +
    `<wsse:Password Type="${DIGEST_TYPE}">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_TYPE}">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}
