import type { XaaEventType } from '../events/xaa-catalog.generated.js';
import { subscriptionCredential } from './activity-rules.js';
import type { ActivitySubscription, ActivitySubscriptionInput } from './client.js';
import { oauth2TokenFor, type XCredentials } from './credentials.js';
import { isDuplicateSubscription } from './errors.js';

/**
 * The move off AAA (`xaa migrate`): for each user subscribed by AAA, the XAA activity
 * subscriptions that cover what AAA delivered for that user.
 */

/** What AAA delivered, by its envelope key, and the XAA event types that deliver the same. */
export const AAA_COVERAGE: ReadonlyArray<{ aaa: string; xaa: readonly XaaEventType[] }> = [
  // Posts by the user, and mentions of, replies to, quotes and retweets of the user's posts.
  { aaa: 'tweet_create_events', xaa: ['post.create', 'post.mention.create', 'post.reply.create', 'post.quote.create', 'post.repost.create'] },
  { aaa: 'tweet_delete_events', xaa: ['post.delete'] },
  { aaa: 'favorite_events', xaa: ['like.create'] },
  { aaa: 'follow_events', xaa: ['follow.follow', 'follow.unfollow'] },
  { aaa: 'block_events', xaa: ['block.block', 'block.unblock'] },
  { aaa: 'mute_events', xaa: ['mute.mute', 'mute.unmute'] },
  { aaa: 'direct_message_events', xaa: ['dm.received', 'dm.sent'] },
  { aaa: 'direct_message_indicate_typing_events', xaa: ['dm.indicate_typing'] },
  { aaa: 'direct_message_mark_read_events', xaa: ['dm.read'] },
  // user_event (revoke): XAA delivers oauth.revoke without a subscription.
];

/** The tag migrate gives the subscriptions it creates (how status finds them). */
export const MIGRATE_TAG = 'xaa-migrate';

/**
 * Subscription caps per tier (X's activity facts: Free none, Basic 50, Pro 2,500, Enterprise
 * 20,000, Partner 100,000). X's XAA page lists other figures (self-serve 1,500, Enterprise
 * 75,000, Partner 150,000): where unsure, pass --max-subscriptions with your account's number.
 */
export const TIER_CAPS = { free: 0, basic: 50, pro: 2_500, enterprise: 20_000, partner: 100_000 } as const;
export type Tier = keyof typeof TIER_CAPS;

export interface PlannedSubscription {
  userId: string;
  eventType: XaaEventType;
  /** private: needs the user's OAuth 2.0 authorization (and token here). */
  access: 'public' | 'private' | 'unstated';
  scope: string;
  /** exists: already at X (its id); create: to be made; needs-token: private and no token for this user here. */
  action: 'exists' | 'create' | 'needs-token';
  subscriptionId: string | null;
  /** The variable whose token creates it (private types), or null for the app bearer token. */
  credential: string | null;
}

export interface MigrationPlan {
  webhookId: string;
  users: string[];
  rows: PlannedSubscription[];
  existingTotal: number;
  toCreate: number;
  cap: number | null;
  /** Subscriptions at X after apply: existing + toCreate. */
  afterApply: number;
  withinCap: boolean | null;
}

/** Pure: the plan from the AAA users, X's current activity subscriptions and the credentials configured here. */
export function planMigration(o: { webhookId: string; users: string[]; existing: ActivitySubscription[]; credentials: XCredentials; cap: number | null }): MigrationPlan {
  const rows: PlannedSubscription[] = [];
  for (const userId of o.users) {
    for (const eventType of AAA_COVERAGE.flatMap((c) => c.xaa)) {
      const need = subscriptionCredential(eventType);
      const found = o.existing.find((s) => s.event_type === eventType && s.filter.user_id === userId && s.webhook_id === o.webhookId && Object.keys(s.filter).length === 1);
      const token = need.kind === 'user' ? oauth2TokenFor(userId, o.credentials) : oauth2TokenFor(userId, o.credentials, false);
      rows.push({
        userId,
        eventType,
        access: need.access,
        scope: need.scope,
        action: found ? 'exists' : need.kind === 'user' && !token ? 'needs-token' : 'create',
        subscriptionId: found?.id ?? null,
        credential: token?.variable ?? null,
      });
    }
  }
  const toCreate = rows.filter((r) => r.action === 'create').length;
  const afterApply = o.existing.length + toCreate;
  return { webhookId: o.webhookId, users: o.users, rows, existingTotal: o.existing.length, toCreate, cap: o.cap, afterApply, withinCap: o.cap === null ? null : afterApply <= o.cap };
}

/**
 * Creates the plan's `create` rows with `create` (Management.createActivity: recorded in the
 * mirror), tagged MIGRATE_TAG (idempotent: what exists is left alone, and X's duplicate
 * answer counts as existing). Returns each row with its outcome.
 */
export async function applyMigration(
  create: (input: ActivitySubscriptionInput) => Promise<ActivitySubscription>,
  plan: MigrationPlan,
): Promise<Array<PlannedSubscription & { outcome: 'created' | 'exists' | 'needs-token' | 'failed'; error?: string }>> {
  const out: Array<PlannedSubscription & { outcome: 'created' | 'exists' | 'needs-token' | 'failed'; error?: string }> = [];
  for (const row of plan.rows) {
    if (row.action !== 'create') {
      out.push({ ...row, outcome: row.action });
      continue;
    }
    try {
      const s = await create({ event_type: row.eventType, filter: { user_id: row.userId }, webhook_id: plan.webhookId, tag: MIGRATE_TAG });
      out.push({ ...row, subscriptionId: s.id, outcome: 'created' });
    } catch (error) {
      if (isDuplicateSubscription(error)) out.push({ ...row, outcome: 'exists' });
      else out.push({ ...row, outcome: 'failed', error: (error as Error).message });
    }
  }
  return out;
}
