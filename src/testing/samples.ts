import { createHash, randomUUID } from 'node:crypto';
import type { PostRole } from '../events/data.js';
import type { XaaDeliveredOnlyType, XaaEventType } from '../events/xaa-catalog.generated.js';

/**
 * Sample activities in X's delivery shapes, generated fresh (new ids, the given time) so that
 * each one is a new event for the receiver. Used by `xaa trigger`, the X stand-in and the tests.
 * The shapes follow X's documented samples: AAA's envelopes, and XAA's per event type from X's
 * event payloads page (xdevplatform/docs, x-api/activity/event-payloads.mdx). Where X documents
 * no sample (mute.*, block.*, dm.read, dm.indicate_typing, chat.conversation.*, chat.update.*),
 * the shape is the one X's page says is shared (follows' source/target, the DM family's arrays,
 * the other chat events'), and is marked so below. `post.match` is a filtered-stream webhook
 * delivery, shaped as X's filtered-stream webhooks quickstart shows one: `{data: {post}, includes,
 * matching_rules: [{id, tag}]}`.
 */

/** The canonical types with a sample, and the undo actions of follow/block/mute as their own names. */
export const SAMPLE_TYPES = [
  'post.create',
  'post.delete',
  'like',
  'follow',
  'unfollow',
  'block',
  'unblock',
  'mute',
  'unmute',
  'dm.message',
  'dm.typing',
  'dm.read',
  'app.revoke',
  'profile.update',
  'chat.message',
  'chat.conversation',
  'news',
  'space',
  'broadcast',
  'broadcast.chat',
  'replay.status',
  'post.match',
] as const;
export type SampleType = (typeof SAMPLE_TYPES)[number];

export function isSampleType(s: string): s is SampleType {
  return (SAMPLE_TYPES as readonly string[]).includes(s);
}

export type SampleFormat = 'aaa' | 'xaa' | 'filtered_stream';

/** How a format is named in messages. */
export function formatLabel(format: SampleFormat): string {
  return format === 'filtered_stream' ? 'a filtered-stream webhook' : format.toUpperCase();
}

/**
 * The formats X delivers each sample in: AAA has no profile, chat, news, Space or broadcast
 * events; XAA documents no replay status event (replay.status is AAA's replay_job_status).
 */
export const SAMPLE_FORMATS: { readonly [T in SampleType]: readonly SampleFormat[] } = {
  'post.create': ['aaa', 'xaa'],
  'post.delete': ['aaa', 'xaa'],
  like: ['aaa', 'xaa'],
  follow: ['aaa', 'xaa'],
  unfollow: ['aaa', 'xaa'],
  block: ['aaa', 'xaa'],
  unblock: ['aaa', 'xaa'],
  mute: ['aaa', 'xaa'],
  unmute: ['aaa', 'xaa'],
  'dm.message': ['aaa', 'xaa'],
  'dm.typing': ['aaa', 'xaa'],
  'dm.read': ['aaa', 'xaa'],
  'app.revoke': ['aaa', 'xaa'],
  'profile.update': ['xaa'],
  'chat.message': ['xaa'],
  'chat.conversation': ['xaa'],
  news: ['xaa'],
  space: ['xaa'],
  broadcast: ['xaa'],
  'broadcast.chat': ['xaa'],
  'replay.status': ['aaa'],
  'post.match': ['filtered_stream'],
};

/** The variants a sample takes (`Activity.variant`), the first being the default. */
export const SAMPLE_VARIANTS: { readonly [T in SampleType]?: readonly string[] } = {
  // The subscribed user's role; the default is a mention by another user.
  'post.create': ['mentioned', 'author', 'replied_to', 'quoted', 'reposted'],
  'profile.update': ['bio', 'profile_picture', 'banner_picture', 'screenname', 'handle', 'geo', 'url', 'verified_badge', 'affiliate_badge'],
  'chat.conversation': ['join', 'member_added', 'member_removed', 'admin_added', 'admin_removed', 'group_name', 'restrictions'],
  space: ['start', 'end'],
  broadcast: ['start', 'end'],
};

/** One activity as it happened, before it is put in an AAA or XAA envelope. */
export interface Activity {
  type: SampleType;
  /** The subscribed user it is delivered for. */
  forUserId: string;
  /** The other party: the follower, the liker, the DM's other side, the post's author. */
  otherUserId: string;
  /** X's id of the activity (post, DM, like, chat event, broadcast, news item) or of the replay job. */
  id: string;
  at: Date;
  text: string;
  /** DMs and chats: who wrote (defaults to otherUserId: a received message). */
  senderId?: string;
  /** replay.status only. */
  webhookId?: string;
  jobState?: string;
  /** See SAMPLE_VARIANTS (post role, profile field, chat change, start or end). */
  variant?: string;
  /** Replies, quotes, reposts: the subscribed user's post they refer to. */
  referencedPostId?: string;
  /** news: the subscription's keyword. */
  keyword?: string;
  /** post.match: the filtered-stream rules the post matched (X's matching_rules). */
  rules?: SampleRule[];
}

/** A filtered-stream rule as X names it in matching_rules. */
export interface SampleRule {
  id: string;
  tag?: string;
}

export interface ActivityOptions {
  otherUserId?: string;
  at?: Date;
  text?: string;
  id?: string;
  senderId?: string;
  webhookId?: string;
  jobState?: string;
  variant?: string;
  referencedPostId?: string;
  keyword?: string;
  /** post.match: the rules it matched (ids generated where missing; default one rule tagged "sample"). */
  rules?: Array<{ id?: string; tag?: string }>;
}

const TWITTER_EPOCH = 1288834974657n;
let sequence = 0;

/** A snowflake-shaped id (64-bit, beyond 2^53), unique within this process. */
export function snowflake(at = Date.now()): string {
  sequence = (sequence + 1) & 0x3fffff;
  return (((BigInt(at) - TWITTER_EPOCH) << 22n) | BigInt(sequence)).toString();
}

/** The time of the last app.revoke sample without a time given (X writes its time to the second). */
let lastRevokeMs = 0;
/** The change of the last verified-badge sample (of twelve), which the next one does not repeat. */
let lastBadgePair = -1;

export function newActivity(type: SampleType, forUserId: string, o: ActivityOptions = {}): Activity {
  let at = o.at ?? new Date();
  // A revoke is told apart by its time, to the second: two samples in one second would be one event.
  if (type === 'app.revoke' && !o.at) {
    at = new Date(Math.max(at.getTime(), Math.floor(lastRevokeMs / 1000) * 1000 + 1000));
    lastRevokeMs = at.getTime();
  }
  const variants = SAMPLE_VARIANTS[type];
  if (o.variant !== undefined && !variants?.includes(o.variant)) {
    throw new Error(`${type} has ${variants ? `the variants ${variants.join(', ')}` : 'no variants'}, not "${o.variant}"`);
  }
  const a: Activity = {
    type,
    forUserId,
    otherUserId: o.otherUserId ?? '1375036644',
    // X's chat event ids are UUIDs; every other id is a snowflake.
    id: o.id ?? (type.startsWith('chat.') ? randomUUID() : snowflake(at.getTime())),
    at,
    text: o.text ?? `sample ${type} at ${at.toISOString()}`,
  };
  if (o.senderId) a.senderId = o.senderId;
  if (o.webhookId) a.webhookId = o.webhookId;
  if (o.jobState) a.jobState = o.jobState;
  if (variants) a.variant = o.variant ?? variants[0]!;
  // The payload is a function of the activity (a redelivery is the same bytes): the id is what
  // picks the change, so a new id is drawn until it picks another one than the last sample's.
  if (type === 'profile.update' && a.variant === 'verified_badge' && !o.id) {
    while (badgePair(variety(a)) === lastBadgePair) a.id = snowflake(at.getTime());
    lastBadgePair = badgePair(variety(a));
  }
  if (type === 'post.create' && a.variant !== 'mentioned' && a.variant !== 'author') {
    a.referencedPostId = o.referencedPostId ?? snowflake(at.getTime() - 60_000);
  }
  if (type === 'news') a.keyword = o.keyword ?? 'sample';
  if (type === 'post.match') {
    const rules = o.rules?.length ? o.rules : [{ tag: 'sample' }];
    a.rules = rules.map((r) => ({ id: r.id ?? snowflake(at.getTime() - 86_400_000), ...(r.tag !== undefined ? { tag: r.tag } : {}) }));
  }
  return a;
}

const POST_XAA_TYPES: Record<PostRole, XaaEventType> = {
  author: 'post.create',
  mentioned: 'post.mention.create',
  replied_to: 'post.reply.create',
  quoted: 'post.quote.create',
  reposted: 'post.repost.create',
};

const XAA_TYPES = {
  'post.delete': 'post.delete',
  like: 'like.create',
  follow: 'follow.follow',
  unfollow: 'follow.unfollow',
  block: 'block.block',
  unblock: 'block.unblock',
  mute: 'mute.mute',
  unmute: 'mute.unmute',
  'dm.typing': 'dm.indicate_typing',
  'dm.read': 'dm.read',
  'app.revoke': 'oauth.revoke',
  news: 'news.new',
  'broadcast.chat': 'broadcast.chat',
  // Not documented by X for XAA: kept for the stand-in's replay job status.
  'replay.status': 'replay.status',
} as const;

/** The XAA event_type of a sample, by its type, variant and (for messages) whether the subscribed user sent it. */
export function xaaEventType(type: SampleType, variant?: string, sent = false): XaaEventType | XaaDeliveredOnlyType | 'replay.status' {
  switch (type) {
    case 'post.create':
      return POST_XAA_TYPES[(variant ?? 'mentioned') as PostRole] ?? 'post.mention.create';
    case 'profile.update':
      return `profile.update.${variant ?? 'bio'}` as XaaEventType;
    case 'chat.message':
      return sent ? 'chat.sent' : 'chat.received';
    case 'chat.conversation': {
      const v = variant ?? 'join';
      return (v === 'group_name' || v === 'restrictions' ? `chat.update.${v}` : `chat.conversation.${v}`) as XaaEventType;
    }
    case 'space':
      return variant === 'end' ? 'spaces.end' : 'spaces.start';
    case 'broadcast':
      return variant === 'end' ? 'broadcast.end' : 'broadcast.start';
    case 'dm.message':
      return sent ? 'dm.sent' : 'dm.received';
    case 'post.match':
      throw new Error('post.match has no XAA form: X delivers it by a filtered-stream webhook only');
    default:
      return XAA_TYPES[type];
  }
}

/** The XAA event_type an activity is delivered under. */
export function xaaEventTypeOf(a: Activity): ReturnType<typeof xaaEventType> {
  return xaaEventType(a.type, a.variant, (a.senderId ?? a.otherUserId) === a.forUserId);
}

/** The sample (type, variant, sent) that an XAA event type delivers: one for every documented type. */
export function sampleForXaaType(eventType: XaaEventType | XaaDeliveredOnlyType): { type: SampleType; variant?: string; sent: boolean } {
  if (eventType === 'chat.conversation_join') return { type: 'chat.conversation', variant: 'join', sent: false };
  for (const type of SAMPLE_TYPES) {
    if (!SAMPLE_FORMATS[type].includes('xaa')) continue;
    for (const variant of SAMPLE_VARIANTS[type] ?? [undefined]) {
      for (const sent of [false, true]) {
        if (xaaEventType(type, variant, sent) === eventType) return variant === undefined ? { type, sent } : { type, variant, sent };
      }
    }
  }
  throw new Error(`no sample for the XAA event type ${eventType}`);
}

/** A fresh activity for an XAA event type (a sent message is sent by the subscribed user). */
export function activityForXaaType(eventType: XaaEventType | XaaDeliveredOnlyType, forUserId: string, o: ActivityOptions = {}): Activity {
  const s = sampleForXaaType(eventType);
  const options: ActivityOptions = { ...o };
  if (s.variant !== undefined) options.variant = s.variant;
  if (s.sent) options.senderId = forUserId;
  return newActivity(s.type, forUserId, options);
}

function v1User(id: string) {
  return { id: `__RAW__${id}`, id_str: id, name: `User ${id}`, screen_name: `user${id}`, protected: false, verified: false };
}

function v2User(id: string) {
  return { id, name: `User ${id}`, username: `user${id}`, protected: false, verified: false };
}

/**
 * A number that differs from one sample to the next (from its fresh id). Payloads that X sends
 * without an id or a time (XAA follows, mutes and blocks, profile updates) are told apart by their
 * content: each sample varies what X's own would (a user's counts, the new value), so that a
 * second sample is a new event, not a duplicate of the first.
 */
function variety(a: Activity): number {
  return Number(BigInt.asUintN(64, BigInt(a.id.replace(/\D/g, '') || '0')) % 1_000_000_007n);
}

/** A v2 user as X's follow samples describe one, with counts of the moment. */
function v2UserNow(id: string, n: number) {
  const count = (k: number) => (n >> k) % 10_000;
  const metric = (name: string, k: number) => ({ [name]: count(k), [`${name}_str`]: String(count(k)) });
  return {
    ...v2User(id),
    public_metrics: { ...metric('followers_count', 0), ...metric('following_count', 3), ...metric('tweet_count', 6), ...metric('listed_count', 9) },
  };
}

const BADGES = ['none', 'blue', 'business', 'government'];
const badgePair = (n: number) => n % 12;

/** A profile change, different from one sample to the next (X's pairs, with the new value varied). */
function profileChange(variant: string, n: number): [string, string] {
  const tag = n.toString(36);
  switch (variant) {
    case 'bio':
      return ['Building with the X API', `Building with the X API and XAA #${tag}`];
    case 'profile_picture':
      return ['https://pbs.twimg.com/profile_images/1/old_normal.jpg', `https://pbs.twimg.com/profile_images/${n}/new_normal.jpg`];
    case 'banner_picture':
      return ['https://pbs.twimg.com/profile_banners/1/1500000000', `https://pbs.twimg.com/profile_banners/1/${1_600_000_000 + n}`];
    case 'screenname':
      return ['Example User', `Example ${tag}`];
    case 'handle':
      return ['example_old', `example_${tag}`];
    case 'geo':
      return ['New York, NY', `San Francisco, CA ${tag}`];
    case 'url':
      return ['https://t.co/oldlinkxx', `https://t.co/${tag.padStart(10, 'x')}`];
    case 'verified_badge': {
      // An enumeration: twelve possible changes (newActivity picks ids so that one sample never
      // repeats the one before it in this process; from one process to the next, one in twelve does).
      const pair = badgePair(n);
      const from = pair % 4;
      return [BADGES[from]!, BADGES[(from + 1 + Math.floor(pair / 4)) % 4]!];
    }
    case 'affiliate_badge':
      return ['', `https://pbs.twimg.com/semantic_core_img/${n}/badge.png`];
    default:
      return ['before', `after ${tag}`];
  }
}

const v1Date = (d: Date) => d.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/, '$1 $3 $2 $5 +0000 $4');

/** JSON text where "__RAW__<digits>" strings become bare numbers, as X writes 64-bit ids. */
function rawJson(value: unknown): string {
  return JSON.stringify(value).replace(/"__RAW__(\d+)"/g, '$1');
}

/** Stand-in ciphertext: base64 of a hash, as long as it needs to look like X's encoded fields. */
function opaque(seed: string, bytes = 48): string {
  let out = Buffer.alloc(0);
  for (let i = 0; out.length < bytes; i++) out = Buffer.concat([out, createHash('sha256').update(`${seed}:${i}`).digest()]);
  return out.subarray(0, bytes).toString('base64');
}

/** A broadcast / Space id shaped like X's (13 characters of [0-9A-Za-z]). */
function broadcastId(id: string): string {
  return `1${BigInt(id).toString(36).padStart(12, '0').slice(-12)}`;
}

/** Who writes and who reads a message: the sender (default the other party) and the other one. */
function parties(a: Activity): { sender: string; recipient: string } {
  const sender = a.senderId ?? a.otherUserId;
  return { sender, recipient: sender === a.forUserId ? a.otherUserId : a.forUserId };
}

/** follow / unfollow: someone follows the subscribed user; block / mute: the subscribed user acts (X delivers only those). */
function relationshipParties(a: Activity): { source: string; target: string } {
  return a.type === 'follow' || a.type === 'unfollow' ? { source: a.otherUserId, target: a.forUserId } : { source: a.forUserId, target: a.otherUserId };
}

function onlyIn(a: Activity, format: SampleFormat): never {
  throw new Error(`${a.type} has no ${format.toUpperCase()} form: X delivers it only by ${SAMPLE_FORMATS[a.type].map(formatLabel).join(' and ')}`);
}

const SAMPLE_APP_ID = '29820954';

/** X's revoke time: seconds, with a "+00:00" offset. */
const revokeTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

function aaaPost(a: Activity): Record<string, unknown> {
  const ms = String(a.at.getTime());
  const me = a.forUserId;
  const base = { created_at: v1Date(a.at), id: `__RAW__${a.id}`, id_str: a.id, timestamp_ms: ms };
  const mention = { id: `__RAW__${me}`, id_str: me, screen_name: `user${me}` };
  const ref = a.referencedPostId ?? '';
  switch (a.variant) {
    case 'author':
      return { ...base, text: a.text, user: v1User(me), entities: { hashtags: [], urls: [], user_mentions: [] } };
    case 'replied_to':
      return {
        ...base,
        text: `@user${me} ${a.text}`,
        in_reply_to_status_id: `__RAW__${ref}`,
        in_reply_to_status_id_str: ref,
        in_reply_to_user_id: `__RAW__${me}`,
        in_reply_to_user_id_str: me,
        in_reply_to_screen_name: `user${me}`,
        user: v1User(a.otherUserId),
        entities: { hashtags: [], urls: [], user_mentions: [mention] },
      };
    case 'quoted':
      return {
        ...base,
        text: a.text,
        is_quote_status: true,
        quoted_status_id: `__RAW__${ref}`,
        quoted_status_id_str: ref,
        quoted_status: { id: `__RAW__${ref}`, id_str: ref, text: 'the quoted post', user: v1User(me) },
        user: v1User(a.otherUserId),
        entities: { hashtags: [], urls: [], user_mentions: [] },
      };
    case 'reposted':
      return {
        ...base,
        text: `RT @user${me}: the original post`,
        retweeted_status: { created_at: v1Date(new Date(a.at.getTime() - 60_000)), id: `__RAW__${ref}`, id_str: ref, text: 'the original post', user: v1User(me) },
        user: v1User(a.otherUserId),
        entities: { hashtags: [], urls: [], user_mentions: [mention] },
      };
    default:
      return { ...base, text: `@user${me} ${a.text}`, user: v1User(a.otherUserId), entities: { hashtags: [], urls: [], user_mentions: [{ id_str: me, screen_name: `user${me}` }] } };
  }
}

/** The AAA delivery body (exact bytes to sign and send). */
export function aaaBody(a: Activity): string {
  const ms = String(a.at.getTime());
  const { sender, recipient } = parties(a);
  const users = { [a.forUserId]: v1User(a.forUserId), [a.otherUserId]: v1User(a.otherUserId) };
  switch (a.type) {
    case 'post.create':
      return rawJson({ for_user_id: a.forUserId, tweet_create_events: [aaaPost(a)] });
    case 'post.delete':
      return rawJson({ for_user_id: a.forUserId, tweet_delete_events: [{ status: { id: a.id, user_id: a.forUserId }, timestamp_ms: ms }] });
    case 'like':
      return rawJson({
        for_user_id: a.forUserId,
        favorite_events: [
          {
            id: BigInt(a.id).toString(16),
            created_at: v1Date(a.at),
            timestamp_ms: Number(ms),
            favorited_status: { id: `__RAW__${a.id}`, id_str: a.id, text: a.text, user: v1User(a.forUserId) },
            user: v1User(a.otherUserId),
          },
        ],
      });
    case 'follow':
    case 'unfollow':
    case 'block':
    case 'unblock':
    case 'mute':
    case 'unmute': {
      const key = `${a.type.replace(/^un/, '')}_events`;
      const { source, target } = relationshipParties(a);
      return rawJson({ for_user_id: a.forUserId, [key]: [{ type: a.type, created_timestamp: ms, source: v1User(source), target: v1User(target) }] });
    }
    case 'dm.message':
      return rawJson({
        for_user_id: a.forUserId,
        direct_message_events: [
          {
            type: 'message_create',
            id: a.id,
            created_timestamp: ms,
            message_create: { target: { recipient_id: recipient }, sender_id: sender, message_data: { text: a.text, entities: { hashtags: [], urls: [], user_mentions: [] } } },
          },
        ],
        users,
      });
    case 'dm.typing':
      return rawJson({
        for_user_id: a.forUserId,
        direct_message_indicate_typing_events: [{ created_timestamp: ms, sender_id: sender, target: { recipient_id: recipient } }],
        users,
      });
    case 'dm.read':
      return rawJson({
        for_user_id: a.forUserId,
        direct_message_mark_read_events: [{ created_timestamp: ms, sender_id: sender, target: { recipient_id: recipient }, last_read_event_id: a.id }],
        users,
      });
    case 'app.revoke':
      return rawJson({ user_event: { revoke: { date_time: revokeTime(a.at), target: { app_id: SAMPLE_APP_ID }, source: { user_id: a.forUserId } } } });
    case 'replay.status':
      return rawJson({
        replay_job_status: {
          webhook_id: a.webhookId ?? '',
          job_id: a.id,
          job_state: a.jobState ?? 'Complete',
          job_state_description: (a.jobState ?? 'Complete') === 'Complete' ? 'All events delivered' : 'Not all events could be delivered',
        },
      });
    default:
      return onlyIn(a, 'aaa');
  }
}

const ZERO_METRICS = { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0, bookmark_count: 0, impression_count: 0 };

function xaaPost(a: Activity): { payload: Record<string, unknown>; includes: Record<string, unknown> } {
  const me = a.forUserId;
  const iso = a.at.toISOString();
  const mine = a.variant === 'author';
  const base = {
    id: a.id,
    created_at: iso,
    author_id: mine ? me : a.otherUserId,
    edit_history_tweet_ids: [a.id],
    conversation_id: a.id,
    lang: 'en',
    reply_settings: 'everyone',
    possibly_sensitive: false,
    public_metrics: ZERO_METRICS,
  };
  const users = mine ? [v2User(me)] : [v2User(a.otherUserId), v2User(me)];
  const ref = a.referencedPostId ?? '';
  const refPost = { id: ref, author_id: me, text: 'the original post', created_at: new Date(a.at.getTime() - 60_000).toISOString() };
  const mention = (text: string) => ({ mentions: [{ start: text.indexOf('@'), end: text.indexOf('@') + `@user${me}`.length, username: `user${me}`, id: me }] });
  switch (a.variant) {
    case 'author':
      return { payload: { ...base, text: a.text }, includes: { users } };
    case 'replied_to': {
      const text = `@user${me} ${a.text}`;
      return {
        payload: {
          ...base,
          text,
          conversation_id: ref,
          in_reply_to_tweet_id: ref,
          in_reply_to_user_id: me,
          referenced_tweets: [{ type: 'replied_to', id: ref }],
          entities: mention(text),
        },
        includes: { users, tweets: [refPost] },
      };
    }
    case 'quoted':
      return { payload: { ...base, text: a.text, referenced_tweets: [{ type: 'quoted', id: ref }] }, includes: { users, tweets: [refPost] } };
    case 'reposted': {
      const text = `RT @user${me}: the original post`;
      return { payload: { ...base, text, referenced_tweets: [{ type: 'retweeted', id: ref }], entities: mention(text) }, includes: { users, tweets: [refPost] } };
    }
    default: {
      const text = `@user${me} ${a.text}`;
      return { payload: { ...base, text, entities: mention(text) }, includes: { users } };
    }
  }
}

function chatPayload(a: Activity): Record<string, unknown> {
  const { sender } = parties(a);
  return {
    conversation_token: `eyJhbGciOiJIUzI1NiJ9.${opaque(`${a.id}:token`, 36)}`,
    id: a.id,
    created_at_msec: String(a.at.getTime()),
    sender_id: sender,
    conversation_id: `${a.otherUserId}:${a.forUserId}`,
    conversation_key_version: String(a.at.getTime() - 86_400_000),
    encoded_event: opaque(`${a.id}:event`, 96),
    conversation_key_change_event: opaque(`${a.id}:key`, 64),
    message_event_signature: {
      public_key_version: String(a.at.getTime() - 172_800_000),
      signature: opaque(`${a.id}:signature`, 64).replace(/=+$/, ''),
      signature_version: '7',
      signing_public_key: opaque(`${sender}:public-key`, 91),
    },
  };
}

function broadcastPayload(a: Activity): Record<string, unknown> {
  const started = a.variant === 'end' ? a.at.getTime() - 3_800 : a.at.getTime() - 3_500;
  const ended = a.variant === 'end';
  const n = (key: string, value: number) => ({ [key]: value, [`${key}_str`]: String(value) });
  return {
    user: { data: v2User(a.forUserId) },
    broadcast_id: broadcastId(a.id),
    ...n('event_timestamp_ms', a.at.getTime()),
    title: a.text,
    broadcast_state: ended ? 'Ended' : 'Running',
    ...n('created_timestamp_ms', started),
    ...n('updated_timestamp_ms', a.at.getTime() - 300),
    ...(ended ? n('duration_ms', a.at.getTime() - started) : {}),
    language: 'en',
    thumbnail_url: `https://example.com/broadcasts/${broadcastId(a.id)}/${ended ? 'replay' : 'live'}-thumbnail.jpg`,
    available_for_replay: ended,
  };
}


/** A fresh event_uuid: X's are signed 64-bit numbers as strings, new for every delivery. */
export function newEventUuid(): string {
  return BigInt.asIntN(64, BigInt(`0x${randomUUID().replace(/-/g, '').slice(0, 16)}`)).toString();
}

/**
 * The XAA delivery body for a subscription with this filter and tag (`eventType` overrides the
 * event type, e.g. to send a deprecated alias; `eventUuid` the delivery's id).
 */
export function xaaBody(
  a: Activity,
  sub: { tag?: string | null; filter?: Record<string, unknown>; eventType?: string; eventUuid?: string } = {},
): string {
  const iso = a.at.toISOString();
  const { sender, recipient } = parties(a);
  const dmUsers = { [a.forUserId]: { data: v2User(a.forUserId) }, [a.otherUserId]: { data: v2User(a.otherUserId) } };
  let filter: Record<string, unknown> = { user_id: a.forUserId };
  let payload: Record<string, unknown>;
  let includes: Record<string, unknown> | undefined;
  switch (a.type) {
    case 'post.create':
      ({ payload, includes } = xaaPost(a));
      break;
    case 'post.delete':
      payload = { id: a.id, author_id: a.forUserId };
      includes = { users: [{ data: v2User(a.forUserId) }] };
      break;
    case 'like':
      // X's sample: the like's id, the liked post and its author; the liker only in includes.
      payload = {
        id: BigInt(a.id).toString(16),
        created_at: new Date(a.at.getTime() - 3_600_000).toISOString(),
        timestamp_ms: String(a.at.getTime()),
        liked_tweet_author_id: a.forUserId,
        liked_tweet_id: a.id,
      };
      includes = { users: [v2User(a.otherUserId)], tweets: [{ id: a.id, author_id: a.forUserId, text: a.text }] };
      break;
    case 'follow':
    case 'unfollow':
    case 'block':
    case 'unblock':
    case 'mute':
    case 'unmute': {
      // X's follow sample; mutes and blocks have no sample ("a source / target pair similar to follow events").
      const { source, target } = relationshipParties(a);
      const n = variety(a);
      payload = { source: { data: v2UserNow(source, n) }, target: { data: v2UserNow(target, n >> 7) } };
      break;
    }
    case 'dm.message':
      payload = {
        direct_message_events: [
          {
            type: 'message_create',
            id: a.id,
            created_timestamp: String(a.at.getTime()),
            message_create: { target: { recipient_id: recipient }, sender_id: sender, message_data: { text: a.text, entities: { hashtags: [], symbols: [], user_mentions: [], urls: [] } } },
          },
        ],
        users: dmUsers,
      };
      break;
    case 'dm.typing':
      // No sample from X: the DM family's shape (dm.sent / dm.received) with AAA's typing array.
      payload = {
        direct_message_indicate_typing_events: [{ created_timestamp: String(a.at.getTime()), sender_id: sender, target: { recipient_id: recipient } }],
        users: dmUsers,
      };
      break;
    case 'dm.read':
      // No sample from X: as dm.typing, with AAA's read-receipt array.
      payload = {
        direct_message_mark_read_events: [
          { created_timestamp: String(a.at.getTime()), sender_id: sender, target: { recipient_id: recipient }, last_read_event_id: a.id },
        ],
        users: dmUsers,
      };
      break;
    case 'app.revoke':
      filter = {};
      payload = { date_time: revokeTime(a.at), user_id: a.forUserId, app_id: SAMPLE_APP_ID };
      break;
    case 'profile.update': {
      const [before, after] = profileChange(a.variant ?? 'bio', variety(a));
      payload = { before, after };
      break;
    }
    case 'chat.message':
    case 'chat.conversation':
      // chat.conversation.* and chat.update.*: no sample from X ("the payload shape matches other chat events").
      payload = chatPayload(a);
      break;
    case 'news':
      filter = { keyword: a.keyword ?? 'sample' };
      payload = {
        id: a.id,
        name: a.text,
        category: 'News',
        hook: `A short hook about ${a.keyword ?? 'sample'}.`,
        summary: `A longer summary about ${a.keyword ?? 'sample'}.`,
        updated_at: iso,
        contexts: { topics: ['Technology'], finance: { tickers: [] }, sports: { teams: [] } },
        disclaimer: 'This story is a summary of posts on X and may evolve over time.',
        cluster_posts_results: [{ post_id: snowflake(a.at.getTime() - 60_000) }, { post_id: snowflake(a.at.getTime() - 30_000) }],
      };
      break;
    case 'space':
      payload = { user: { data: v2User(a.forUserId) }, broadcast_id: broadcastId(a.id), event_type: `spaces_${a.variant ?? 'start'}` };
      break;
    case 'broadcast':
      payload = broadcastPayload(a);
      break;
    case 'broadcast.chat':
      payload = { broadcast_id: broadcastId(a.id), message_id: a.id, message: a.text, author: { data: v2User(a.otherUserId) } };
      break;
    case 'replay.status':
      payload = { job_id: a.id, job_state: a.jobState ?? 'Complete' };
      break;
    case 'post.match':
      return onlyIn(a, 'xaa');
  }
  const data: Record<string, unknown> = {
    event_uuid: sub.eventUuid ?? newEventUuid(),
    filter: sub.filter ?? filter,
    event_type: sub.eventType ?? xaaEventTypeOf(a),
  };
  if (sub.tag) data.tag = sub.tag;
  data.payload = payload;
  if (includes) data.includes = includes;
  return JSON.stringify({ data });
}

/**
 * A filtered-stream webhook delivery of a post (`post.match`): the v2 Post under `data`, its author
 * in `includes.users`, and the rules it matched (`rules`, default the activity's own) in
 * `matching_rules`. Without `link`: every field the sample has, as X's filtered-stream webhooks
 * quickstart shows a delivery. With `link`, the query of the webhook's link (`expansions`,
 * `tweet.fields`, `user.fields`): what X's fields pages say such a request gets, the Post's default
 * fields (`id`, `text`, `edit_history_tweet_ids`) and those asked for, `author_id` and the author in
 * `includes` only with `expansions=author_id` (the user's default fields `id`, `name`, `username`
 * and those asked for).
 */
export function filteredStreamBody(a: Activity, rules: readonly SampleRule[] = a.rules ?? [], o: { link?: Readonly<Record<string, string>> } = {}): string {
  if (a.type !== 'post.match') return onlyIn(a, 'filtered_stream');
  const author = a.otherUserId;
  const post: Record<string, unknown> = {
    id: a.id,
    text: a.text,
    created_at: a.at.toISOString(),
    author_id: author,
    edit_history_tweet_ids: [a.id],
    conversation_id: a.id,
    lang: 'en',
  };
  const user: Record<string, unknown> = { ...v2User(author), created_at: '2013-12-14T04:35:55.000Z' };
  const matching = rules.map((r) => (r.tag !== undefined ? { id: r.id, tag: r.tag } : { id: r.id }));
  if (!o.link) return JSON.stringify({ data: post, includes: { users: [user] }, matching_rules: matching });
  const list = (k: string) => (o.link?.[k] ?? '').split(',').filter(Boolean);
  const pick = (from: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => k in from).map((k) => [k, from[k]]));
  const withAuthor = list('expansions').includes('author_id');
  const data = pick(post, ['id', 'text', 'edit_history_tweet_ids', ...list('tweet.fields'), ...(withAuthor ? ['author_id'] : [])]);
  const includes = withAuthor ? { includes: { users: [pick(user, ['id', 'name', 'username', ...list('user.fields')])] } } : {};
  return JSON.stringify({ data, ...includes, matching_rules: matching });
}

/** The body of an activity in a format (a clear error when X has no such form). */
export function sampleBody(a: Activity, format: SampleFormat): string {
  if (!SAMPLE_FORMATS[a.type].includes(format)) return onlyIn(a, format);
  return format === 'aaa' ? aaaBody(a) : format === 'xaa' ? xaaBody(a) : filteredStreamBody(a);
}
