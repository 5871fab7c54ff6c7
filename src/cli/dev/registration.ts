import type { Management } from '../../management/index.js';

/** What `xaa dev` did at X, so that it undoes that and nothing else. */
export interface Registration {
  webhookId: string;
  /** The webhook was created by this session (deleted on exit); false: it existed for this URL already (kept). */
  createdWebhook: boolean;
  /** The user this session subscribed (unsubscribed on exit); null: none, or it was subscribed already (kept). */
  subscribedUser: string | null;
  /** The user of the user context when it was subscribed already. */
  keptUser: string | null;
}

export interface RegisterOptions {
  url: string;
  subscribe: boolean;
  /** Progress, one line per step. */
  say: (step: RegistrationStep) => void;
}

export type RegistrationStep =
  | { kind: 'webhook'; id: string; url: string; created: boolean; valid: boolean }
  | { kind: 'subscription'; webhookId: string; user: string | null; created: boolean }
  | { kind: 'note'; message: string };

/**
 * Registers `url` as the app's webhook (reusing one X has for that exact URL), makes X run a CRC
 * against it, and subscribes the user of the user context (X_ACCESS_TOKEN/X_ACCESS_TOKEN_SECRET,
 * or X_OAUTH2_USER_TOKEN: X subscribes the user a token belongs to). On a failure part way, what
 * was registered is undone before the error is thrown.
 */
export async function register(m: Management, o: RegisterOptions): Promise<Registration> {
  const existing = (await m.listWebhooks()).find((w) => w.url === o.url);
  const reg: Registration = { webhookId: existing?.id ?? '', createdWebhook: false, subscribedUser: null, keptUser: null };
  try {
    if (!existing) {
      const created = await m.createWebhook(o.url).catch((error: unknown) => {
        throw new Error(`could not register ${o.url} as the webhook: ${(error as Error).message}`);
      });
      reg.webhookId = created.id;
      reg.createdWebhook = true;
    }
    // Creating one runs a CRC already; this runs one now either way (and re-enables an invalid webhook).
    const { valid } = await m.validateWebhook(reg.webhookId);
    o.say({ kind: 'webhook', id: reg.webhookId, url: o.url, created: reg.createdWebhook, valid });
    if (!valid) throw new Error(`X reports webhook ${reg.webhookId} as not valid after its CRC`);
    if (o.subscribe) {
      const before = m.client.credentials.bearerToken ? await m.listSubscriptions(reg.webhookId) : undefined;
      const r = await m.subscribe(reg.webhookId);
      // An OAuth 2.0 user token does not say whose it is: the user is the one that appeared in the list.
      const user = r.userId ?? (before ? ((await m.listSubscriptions(reg.webhookId)).find((u) => !before.includes(u)) ?? null) : null);
      if (r.alreadySubscribed) reg.keptUser = user;
      else reg.subscribedUser = user;
      o.say({ kind: 'subscription', webhookId: reg.webhookId, user, created: !r.alreadySubscribed });
      if (!r.alreadySubscribed && !user) {
        o.say({ kind: 'note', message: 'the subscribed user could not be told apart (an OAuth 2.0 token without X_BEARER_TOKEN): it stays subscribed on exit' });
      }
    }
    return reg;
  } catch (error) {
    await unregister(m, reg, () => {});
    throw error;
  }
}

export type UndoStep = { kind: 'unsubscribed'; webhookId: string; user: string } | { kind: 'deleted'; webhookId: string } | { kind: 'kept'; what: string } | { kind: 'failed'; what: string; error: string };

/** Undoes what `register` did, and only that: each step is tried even when another fails. */
export async function unregister(m: Management, reg: Registration, say: (step: UndoStep) => void): Promise<boolean> {
  let ok = true;
  // Before the webhook goes: the subscription belongs to it.
  if (reg.subscribedUser) {
    try {
      await m.unsubscribe(reg.webhookId, reg.subscribedUser);
      say({ kind: 'unsubscribed', webhookId: reg.webhookId, user: reg.subscribedUser });
    } catch (error) {
      ok = false;
      say({ kind: 'failed', what: `unsubscribe user ${reg.subscribedUser} from webhook ${reg.webhookId}`, error: (error as Error).message });
    }
  }
  if (reg.keptUser) say({ kind: 'kept', what: `user ${reg.keptUser}'s subscription to webhook ${reg.webhookId} (it was there before)` });
  if (reg.createdWebhook) {
    try {
      await m.deleteWebhook(reg.webhookId);
      say({ kind: 'deleted', webhookId: reg.webhookId });
    } catch (error) {
      ok = false;
      say({ kind: 'failed', what: `delete webhook ${reg.webhookId}`, error: (error as Error).message });
    }
  } else if (reg.webhookId) {
    say({ kind: 'kept', what: `webhook ${reg.webhookId} (it was registered for this URL before)` });
  }
  return ok;
}
