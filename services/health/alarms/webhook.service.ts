import type { AlarmSeverity } from '../../../devices/types.ts';
import { encryptSecret, randomSecret } from '../../common/crypto.ts';
import { badRequest, notFound } from '../../common/errors.ts';
import type { NetGuard } from '../../common/net-guard.ts';
import type { Webhook, WebhookRepository } from './webhook.repository.ts';

/**
 * Alarm webhooks with their rules in one place (issue 16): an http(s) URL with no credentials in it, on a network the
 * webhook allow-list permits (SW_NETWORKS_WEBHOOK), the signing secret generated when not given and stored encrypted
 * with the service key. The secret is returned once, at creation.
 */
export class WebhookService {
  constructor(private readonly d: { repo: WebhookRepository; guard: NetGuard; serviceKey: Buffer }) {}

  list(): Promise<Webhook[]> {
    return this.d.repo.list();
  }

  async create(
    w: { name: string; url: string; minSeverity?: AlarmSeverity | undefined; secret?: string | undefined },
    actor: string,
  ): Promise<{ webhook: Webhook; secret: string }> {
    let url: URL;
    try {
      url = new URL(w.url);
    } catch {
      throw badRequest('BAD_URL', `'${w.url}' is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('BAD_URL', 'A webhook URL must be http or https');
    if (url.username || url.password) throw badRequest('BAD_URL', 'Put no credentials in the URL: requests are signed with the secret');
    this.d.guard.checkHost(url.hostname);
    const secret = w.secret ?? randomSecret();
    const webhook = await this.d.repo.create({
      name: w.name,
      url: url.toString(),
      secretEnc: encryptSecret(this.d.serviceKey, secret),
      minSeverity: w.minSeverity ?? 'warning',
      createdBy: actor,
    });
    return { webhook, secret };
  }

  async delete(id: string): Promise<void> {
    if (!(await this.d.repo.delete(id))) throw notFound('Webhook', id);
  }

  deliveries(f: Parameters<WebhookRepository['deliveries']>[0]): ReturnType<WebhookRepository['deliveries']> {
    return this.d.repo.deliveries(f);
  }
}
