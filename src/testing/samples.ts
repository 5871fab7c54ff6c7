/**
 * Sample activities in X's delivery shapes, generated fresh (new ids, the given time) so that
 * each one is a new event for the receiver. Used by `xaa trigger` and by the X stand-in.
 * AAA shapes follow X's documented envelopes; the XAA event type names and payload details are
 * illustrative (X's names have drifted between doc versions), chosen to map to the same
 * canonical event types.
 */

export const SAMPLE_TYPES = ['post.create', 'post.delete', 'like', 'follow', 'unfollow', 'block', 'mute', 'dm.message', 'replay.status'] as const;
export type SampleType = (typeof SAMPLE_TYPES)[number];

export function isSampleType(s: string): s is SampleType {
  return (SAMPLE_TYPES as readonly string[]).includes(s);
}

/** One activity as it happened, before it is put in an AAA or XAA envelope. */
export interface Activity {
  type: SampleType;
  /** The subscribed user it is delivered for. */
  forUserId: string;
  /** The other party: the follower, the liker, the DM's other side, the post's author. */
  otherUserId: string;
  /** X's id of the activity (post, DM, like) or of the replay job. */
  id: string;
  at: Date;
  text: string;
  /** DMs: who wrote (defaults to otherUserId: a received DM). */
  senderId?: string;
  /** replay.status only. */
  webhookId?: string;
  jobState?: string;
}

const TWITTER_EPOCH = 1288834974657n;
let sequence = 0;

/** A snowflake-shaped id (64-bit, beyond 2^53), unique within this process. */
export function snowflake(at = Date.now()): string {
  sequence = (sequence + 1) & 0x3fffff;
  return (((BigInt(at) - TWITTER_EPOCH) << 22n) | BigInt(sequence)).toString();
}

export function newActivity(
  type: SampleType,
  forUserId: string,
  o: { otherUserId?: string; at?: Date; text?: string; id?: string; senderId?: string; webhookId?: string; jobState?: string } = {},
): Activity {
  const at = o.at ?? new Date();
  const a: Activity = {
    type,
    forUserId,
    otherUserId: o.otherUserId ?? '1375036644',
    id: o.id ?? snowflake(at.getTime()),
    at,
    text: o.text ?? `sample ${type} at ${at.toISOString()}`,
  };
  if (o.senderId) a.senderId = o.senderId;
  if (o.webhookId) a.webhookId = o.webhookId;
  if (o.jobState) a.jobState = o.jobState;
  return a;
}

/** The XAA event_type of a sample. */
export function xaaEventType(type: SampleType): string {
  const map: Record<SampleType, string> = {
    'post.create': 'post.create',
    'post.delete': 'post.delete',
    like: 'like.create',
    follow: 'follow.follow',
    unfollow: 'follow.unfollow',
    block: 'block.block',
    mute: 'mute.mute',
    'dm.message': 'dm.received',
    'replay.status': 'replay.status',
  };
  return map[type];
}

function v1User(id: string) {
  return { id: `__RAW__${id}`, id_str: id, name: `User ${id}`, screen_name: `user${id}`, protected: false, verified: false };
}

function v2User(id: string) {
  return { id, name: `User ${id}`, username: `user${id}` };
}

const v1Date = (d: Date) => d.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/, '$1 $3 $2 $5 +0000 $4');

/** JSON text where "__RAW__<digits>" strings become bare numbers, as X writes 64-bit ids. */
function rawJson(value: unknown): string {
  return JSON.stringify(value).replace(/"__RAW__(\d+)"/g, '$1');
}

/** The AAA delivery body (exact bytes to sign and send). */
export function aaaBody(a: Activity): string {
  const ms = String(a.at.getTime());
  const sender = a.senderId ?? a.otherUserId;
  switch (a.type) {
    case 'post.create':
      return rawJson({
        for_user_id: a.forUserId,
        tweet_create_events: [
          {
            created_at: v1Date(a.at),
            id: `__RAW__${a.id}`,
            id_str: a.id,
            text: `@user${a.forUserId} ${a.text}`,
            user: v1User(a.otherUserId),
            entities: { hashtags: [], urls: [], user_mentions: [{ id_str: a.forUserId, screen_name: `user${a.forUserId}` }] },
            timestamp_ms: ms,
          },
        ],
      });
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
    case 'mute': {
      const key = a.type === 'unfollow' ? 'follow_events' : `${a.type}_events`;
      return rawJson({
        for_user_id: a.forUserId,
        [key]: [{ type: a.type, created_timestamp: ms, source: v1User(a.otherUserId), target: v1User(a.forUserId) }],
      });
    }
    case 'dm.message': {
      const recipient = sender === a.forUserId ? a.otherUserId : a.forUserId;
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
        users: { [a.forUserId]: v1User(a.forUserId), [a.otherUserId]: v1User(a.otherUserId) },
      });
    }
    case 'replay.status':
      return rawJson({
        replay_job_status: {
          webhook_id: a.webhookId ?? '',
          job_id: a.id,
          job_state: a.jobState ?? 'Complete',
          job_state_description: (a.jobState ?? 'Complete') === 'Complete' ? 'All events delivered' : 'Not all events could be delivered',
        },
      });
  }
}

/** The XAA delivery body for a subscription with this filter and tag. */
export function xaaBody(a: Activity, sub: { tag?: string | null; filter?: Record<string, unknown> } = {}): string {
  const iso = a.at.toISOString();
  const sender = a.senderId ?? a.otherUserId;
  let payload: Record<string, unknown>;
  switch (a.type) {
    case 'post.create':
      payload = { id: a.id, text: `@user${a.forUserId} ${a.text}`, author_id: a.otherUserId, created_at: iso };
      break;
    case 'post.delete':
      payload = { id: a.id, author_id: a.forUserId, deleted_at: iso };
      break;
    case 'like':
      payload = { id: BigInt(a.id).toString(16), liked_post_id: a.id, user: v2User(a.otherUserId), created_at: iso };
      break;
    case 'follow':
    case 'unfollow':
    case 'block':
    case 'mute':
      payload = { source: v2User(a.otherUserId), target: v2User(a.forUserId), created_at: iso };
      break;
    case 'dm.message': {
      const recipient = sender === a.forUserId ? a.otherUserId : a.forUserId;
      payload = {
        type: 'message_create',
        id: a.id,
        created_timestamp: String(a.at.getTime()),
        message_create: { target: { recipient_id: recipient }, sender_id: sender, message_data: { text: a.text } },
      };
      break;
    }
    case 'replay.status':
      payload = { job_id: a.id, job_state: a.jobState ?? 'Complete' };
      break;
  }
  const data: Record<string, unknown> = {
    event_type: xaaEventType(a.type),
    event_uuid: `${a.type}:${a.id}`,
    filter: sub.filter ?? { user_id: a.forUserId },
    payload,
  };
  if (sub.tag) data.tag = sub.tag;
  return JSON.stringify({ data });
}
