import { createHmac } from 'node:crypto';
import type { DeliveryRecord, OutboxEntry, StandInWebhook } from './types.js';

/** X's answer limit for a delivery: 10 seconds (X's V2 Webhooks page). */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** POSTs one signed delivery to a webhook as X does (x-twitter-webhooks-signature, no redirects) and records what happened. */
export async function deliver(
  w: StandInWebhook,
  e: OutboxEntry,
  replay: boolean,
  o: { consumerSecret: string; timeoutMs?: number; log?: ((line: string) => void) | undefined },
): Promise<DeliveryRecord> {
  const record: DeliveryRecord = {
    webhookId: w.id,
    url: w.url,
    format: e.format,
    replay,
    status: null,
    activityType: e.activity.type,
    activityId: e.activity.id,
    forUserId: e.activity.forUserId,
  };
  try {
    const res = await fetch(w.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-twitter-webhooks-signature': `sha256=${createHmac('sha256', o.consumerSecret).update(e.body).digest('base64')}`,
        'user-agent': 'X-standin-delivery',
      },
      body: e.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs ?? DELIVERY_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    record.status = res.status;
  } catch (error) {
    const err = error as Error & { cause?: { code?: string } };
    record.error = err.name === 'TimeoutError' ? `no answer within ${o.timeoutMs ?? DELIVERY_TIMEOUT_MS} ms` : (err.cause?.code ?? err.message);
  }
  o.log?.(`deliver ${e.format}${replay ? ' (replay)' : ''} ${e.activity.type} for ${e.activity.forUserId || 'the filtered stream'} -> ${record.status ?? record.error}`);
  return record;
}
