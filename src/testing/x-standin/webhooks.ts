import type { StandInWebhook } from './types.js';

/** A webhook as X shows it (GET /2/webhooks, POST /2/webhooks). */
export function publicWebhook(w: StandInWebhook) {
  return { id: w.id, url: w.url, valid: w.valid, created_at: w.created_at };
}
