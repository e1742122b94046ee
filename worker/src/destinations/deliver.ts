import { getSite } from '../config/sites';
import { requireSecret } from '../config/secrets';
import { hmacSha256, toHex } from '../crypto/hmac';
import type { Env } from '../env';
import type { DeliveryMessage } from '../storage/messages';

/** 30 s, 1 min, 2 min … capped at 1 h; after max_retries the queue moves the message to the DLQ. */
export const backoffSeconds = (attempts: number): number => Math.min(3600, 30 * 2 ** Math.max(0, attempts - 1));

/**
 * POSTs one delivery. The body is signed: `X-TP-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
 * so a receiver can check origin and freshness (reject old timestamps against replays).
 */
export async function deliver(message: Message<DeliveryMessage>, env: Env, site = getSite): Promise<void> {
  const { site: siteId, destination, body } = message.body;
  const dest = site(siteId)?.destinations.find((d) => d.name === destination);
  if (!dest) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'destination no longer configured; dropping delivery', siteId, destination }));
    message.ack();
    return;
  }
  const t = Math.floor(Date.now() / 1000);
  const signature = toHex(await hmacSha256(requireSecret(env, dest.secret_env), `${t}.${body}`));
  try {
    const res = await fetch(dest.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tp-signature': `t=${t},v1=${signature}`, 'x-tp-delivery': message.id },
      body,
    });
    if (res.ok) {
      message.ack();
      return;
    }
    console.warn(JSON.stringify({ level: 'warn', msg: 'destination answered an error', siteId, destination, status: res.status, attempts: message.attempts }));
  } catch (err) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'destination unreachable', siteId, destination, error: String(err), attempts: message.attempts }));
  }
  message.retry({ delaySeconds: backoffSeconds(message.attempts) });
}
