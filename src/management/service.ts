import {
  createReplayJob,
  deleteWebhookRecord,
  markXaaSubscriptionRemoved,
  reconcileReplayJobs,
  replaceWebhookRecords,
  setWebhookValidity,
  syncAaaSubscriptions,
  syncXaaSubscriptions,
  upsertAaaSubscription,
  upsertWebhookRecord,
  upsertXaaSubscription,
  type Database,
  type ReplayJobRecord,
} from '../store/index.js';
import type { ActivitySubscription, ActivitySubscriptionInput, XClient, XWebhook } from './client.js';
import { userContextUserId } from './credentials.js';
import { isDuplicateSubscription, XApiError } from './errors.js';

/**
 * X answered 200 but said the change was not made (`"deleted": false`, ...): an error (the CLI
 * exits 1), and the mirror is left as it was.
 */
function notDone(operation: string, answer: string): XApiError {
  return new XApiError(operation, 200, { problems: [{ message: `X answered ${answer}: nothing was changed at X` }] });
}

/**
 * The X API client plus the local mirror: every change made at X is recorded (webhooks,
 * subscriptions, replay jobs) when a database is given. Without one, the calls still work.
 */
export class Management {
  constructor(
    readonly client: XClient,
    readonly db: Database | undefined,
    readonly now: () => Date = () => new Date(),
  ) {}

  async listWebhooks(): Promise<XWebhook[]> {
    const list = await this.client.listWebhooks();
    if (this.db) {
      await replaceWebhookRecords(
        this.db.prisma,
        list.map((w) => ({ id: w.id, url: w.url, valid: w.valid, createdAt: w.created_at ? new Date(w.created_at) : null })),
        this.now(),
      );
    }
    return list;
  }

  async createWebhook(url: string): Promise<XWebhook> {
    const w = await this.client.createWebhook(url);
    if (this.db) {
      await upsertWebhookRecord(this.db.prisma, {
        id: w.id,
        url: w.url,
        valid: w.valid,
        createdAt: w.created_at ? new Date(w.created_at) : this.now(),
        syncedAt: this.now(),
        lastError: null,
      });
    }
    return w;
  }

  /**
   * PUT /2/webhooks/:id: X runs a CRC; the record follows the outcome X reports (and keeps X's
   * reason when the CRC did not pass). An older X answered a failed CRC with 400
   * CrcValidationFailed instead: that is recorded the same way, and thrown.
   */
  async validateWebhook(id: string): Promise<{ valid: boolean; triggered: boolean; problems: string[] }> {
    try {
      const result = await this.client.validateWebhook(id);
      const why = result.valid ? null : result.problems.join('; ') || 'X reports the webhook invalid after the CRC';
      if (this.db) await setWebhookValidity(this.db.prisma, id, result.valid, why, this.now());
      return result;
    } catch (error) {
      if (this.db && error instanceof XApiError && error.reasons.includes('CrcValidationFailed')) {
        const p = error.body.problems.find((x) => x.reason === 'CrcValidationFailed');
        await setWebhookValidity(this.db.prisma, id, false, p?.message ?? 'CrcValidationFailed', this.now());
      }
      throw error;
    }
  }

  async deleteWebhook(id: string): Promise<void> {
    const { deleted } = await this.client.deleteWebhook(id);
    if (!deleted) throw notDone(`delete webhook ${id}`, '"deleted": false');
    if (this.db) await deleteWebhookRecord(this.db.prisma, id);
  }

  /**
   * Subscribes the user of the user context; the mirror learns the user id from X's list when the
   * bearer token is set. Idempotent: a user X says is subscribed already is a success
   * (`alreadySubscribed: true`), recorded like a new subscription.
   */
  async subscribe(webhookId: string): Promise<{ subscribed: boolean; userId: string | null; alreadySubscribed: boolean }> {
    let result: { subscribed: boolean; userId: string | null; alreadySubscribed: boolean };
    try {
      result = { ...(await this.client.subscribeUser(webhookId)), alreadySubscribed: false };
      if (!result.subscribed) throw notDone(`subscribe to webhook ${webhookId}`, '"subscribed": false');
    } catch (error) {
      if (!isDuplicateSubscription(error)) throw error;
      result = { subscribed: true, userId: userContextUserId(this.client.credentials) ?? null, alreadySubscribed: true };
    }
    if (this.db) {
      if (this.client.credentials.bearerToken) await this.listSubscriptions(webhookId);
      else if (result.userId) await upsertAaaSubscription(this.db.prisma, { webhookId, userId: result.userId, status: 'active', at: this.now() });
    }
    return result;
  }

  async listSubscriptions(webhookId: string): Promise<string[]> {
    const { userIds } = await this.client.listSubscriptions(webhookId);
    if (this.db) await syncAaaSubscriptions(this.db.prisma, webhookId, userIds, this.now());
    return userIds;
  }

  async unsubscribe(webhookId: string, userId: string): Promise<void> {
    const { subscribed } = await this.client.unsubscribeUser(webhookId, userId);
    if (subscribed) throw notDone(`unsubscribe user ${userId} from webhook ${webhookId}`, '"subscribed": true');
    if (this.db) await upsertAaaSubscription(this.db.prisma, { webhookId, userId, status: 'removed', at: this.now() });
  }

  /** Requests a replay at X and tracks it until X's replay_job_status delivery reports the end. */
  async replay(kind: 'aaa' | 'xaa', webhookId: string, from: Date, to: Date): Promise<ReplayJobRecord | { jobId: string | null; raw: unknown }> {
    const answer = kind === 'aaa' ? await this.client.replayAaa(webhookId, from, to) : await this.client.replayWebhook(webhookId, from, to);
    if (!this.db) return { jobId: answer.jobId, raw: answer.raw };
    return createReplayJob(this.db.prisma, {
      kind,
      xJobId: answer.jobId,
      webhookId,
      fromDate: from,
      toDate: to,
      status: 'requested',
      requestedAt: answer.createdAt ? new Date(answer.createdAt) : this.now(),
    });
  }

  async reconcileReplays(): Promise<ReplayJobRecord[]> {
    return this.db ? reconcileReplayJobs(this.db.prisma) : [];
  }

  async listActivity(): Promise<ActivitySubscription[]> {
    const list = await this.client.listActivitySubscriptions();
    if (this.db) {
      await syncXaaSubscriptions(
        this.db.prisma,
        list.map((s) => ({ xId: s.id, webhookId: s.webhook_id ?? '', eventType: s.event_type, filter: s.filter, tag: s.tag ?? null })),
        this.now(),
      );
    }
    return list;
  }

  async createActivity(input: ActivitySubscriptionInput): Promise<ActivitySubscription> {
    const s = await this.client.createActivitySubscription(input);
    await this.#recordActivity(s, 'active');
    return s;
  }

  async updateActivity(id: string, change: { tag?: string; webhook_id?: string }): Promise<ActivitySubscription> {
    const s = await this.client.updateActivitySubscription(id, change);
    await this.#recordActivity(s, 'active');
    return s;
  }

  async deleteActivity(id: string): Promise<void> {
    const { deleted } = await this.client.deleteActivitySubscription(id);
    if (!deleted) throw notDone(`delete activity subscription ${id}`, '"deleted": false');
    if (this.db) await markXaaSubscriptionRemoved(this.db.prisma, id, this.now());
  }

  /** Deletes many at once (DELETE /2/activity/subscriptions?ids=...); the mirror marks those X deleted. */
  async deleteActivities(ids: string[]): ReturnType<XClient['deleteActivitySubscriptions']> {
    const result = await this.client.deleteActivitySubscriptions(ids);
    if (this.db) for (const id of result.deleted) await markXaaSubscriptionRemoved(this.db.prisma, id, this.now());
    return result;
  }

  async #recordActivity(s: ActivitySubscription, status: 'active' | 'removed'): Promise<void> {
    if (!this.db || !s.id) return;
    await upsertXaaSubscription(this.db.prisma, {
      xId: s.id,
      webhookId: s.webhook_id ?? '',
      eventType: s.event_type,
      filter: s.filter,
      tag: s.tag ?? null,
      status,
      at: this.now(),
    });
  }
}
