/**
 * Signed URLs for clusters. A loudspeaker cluster has MQTT credentials but no operator token, so the files and live
 * streams it must fetch are served on public routes that require `exp` (epoch seconds) and `sig` =
 * Base64url(HMAC-SHA-256(k, path + "\n" + exp)), where k is derived from the service key for this use only. A URL is
 * good until exp; the cluster also checks the file's sha256 from the play command.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export class UrlSigner {
  private readonly key: Buffer;

  constructor(serviceKey: Buffer) {
    this.key = createHmac('sha256', serviceKey).update('smartward radio url v1').digest();
  }

  private mac(path: string, exp: number): string {
    return createHmac('sha256', this.key).update(`${path}\n${exp}`).digest('base64url');
  }

  /** `path?exp=…&sig=…` */
  sign(path: string, expEpochS: number): string {
    return `${path}?exp=${expEpochS}&sig=${this.mac(path, expEpochS)}`;
  }

  verify(path: string, exp: number, sig: string, nowMs: number): 'ok' | 'expired' | 'bad-signature' {
    const want = Buffer.from(this.mac(path, exp));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'bad-signature';
    return exp * 1000 < nowMs ? 'expired' : 'ok';
  }
}
