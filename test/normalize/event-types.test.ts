import { describe, expect, it } from 'vitest';
import type { AnyXEvent, EventType } from '../../src/events/index.js';
import { XAA_DELIVERED_ONLY_TYPES, XAA_EVENT_TYPES, type XaaDeliveredOnlyType, type XaaEventType } from '../../src/events/xaa-catalog.generated.js';
import { parseEvents } from '../../src/normalize/envelope/index.js';
import { parseJsonLossless } from '../../src/normalize/json.js';
import { activityForXaaType, newActivity, SAMPLE_FORMATS, SAMPLE_TYPES, sampleBody, xaaBody, type Activity } from '../../src/testing/samples.js';

const U = '2244994945';
const OTHER = '1375036644';
const AT = new Date('2026-11-02T09:15:41.000Z');

function parse(body: string): AnyXEvent[] {
  return parseEvents(parseJsonLossless(body));
}

function one(body: string): AnyXEvent {
  const events = parse(body);
  expect(events).toHaveLength(1);
  return events[0]!;
}

const hex = (id: string) => BigInt(id).toString(16);
const bid = (id: string) => `1${BigInt(id).toString(36).padStart(12, '0').slice(-12)}`;

interface Expectation {
  type: EventType;
  action: string | null;
  forUserId: string | null;
  key: (a: Activity) => string | RegExp;
  data: (a: Activity) => Record<string, unknown>;
}

const post = (role: string, author: 'me' | 'other', extra: (a: Activity) => Record<string, unknown> = () => ({})): Expectation => ({
  type: 'post.create',
  action: null,
  forUserId: U,
  key: (a) => `${U}:post:${a.id}`,
  data: (a) => ({
    postId: a.id,
    authorId: author === 'me' ? U : OTHER,
    authorUsername: author === 'me' ? `user${U}` : `user${OTHER}`,
    createdAt: AT,
    role,
    ...extra(a),
  }),
});
const relationship = (type: 'follow' | 'block' | 'mute', action: string, source: string, target: string): Expectation => ({
  type,
  action,
  forUserId: U,
  key: () => new RegExp(`^${U}:${type}:h[0-9a-f]{40}$`),
  data: () => ({ sourceId: source, sourceUsername: `user${source}`, targetId: target, targetUsername: `user${target}` }),
});
const chat = (type: 'chat.message' | 'chat.conversation', action: string, sender = OTHER): Expectation => ({
  type,
  action,
  forUserId: U,
  key: (a) => `${U}:chat:${a.id}`,
  data: (a) => ({ encrypted: true, eventId: a.id, senderId: sender, conversationId: `${OTHER}:${U}`, createdAt: AT }),
});
const profile = (field: string): Expectation => ({
  type: 'profile.update',
  action: field,
  forUserId: U,
  key: () => new RegExp(`^${U}:profile:h[0-9a-f]{40}$`),
  data: () => ({ userId: U, field }),
});

/** What each documented XAA event type must become (the fixture is the project's own sample of that type). */
const XAA: Record<XaaEventType | XaaDeliveredOnlyType, Expectation> = {
  'post.create': post('author', 'me'),
  'post.mention.create': post('mentioned', 'other', () => ({ mentionedUserIds: [U] })),
  'post.reply.create': post('replied_to', 'other', (a) => ({ inReplyToPostId: a.referencedPostId, inReplyToUserId: U })),
  'post.quote.create': post('quoted', 'other', (a) => ({ quotedPostId: a.referencedPostId })),
  'post.repost.create': post('reposted', 'other', (a) => ({ repostedPostId: a.referencedPostId })),
  'post.delete': { type: 'post.delete', action: null, forUserId: U, key: (a) => `${U}:post.delete:${a.id}`, data: (a) => ({ postId: a.id, authorId: U }) },
  'like.create': {
    type: 'like',
    action: 'like',
    forUserId: U,
    key: (a) => `${U}:like:${hex(a.id)}`,
    data: (a) => ({ likeId: hex(a.id), postId: a.id, postAuthorId: U, likerId: OTHER, likerUsername: `user${OTHER}`, direction: 'inbound', likedAt: AT }),
  },
  'follow.follow': relationship('follow', 'follow', OTHER, U),
  'follow.unfollow': relationship('follow', 'unfollow', OTHER, U),
  'mute.mute': relationship('mute', 'mute', U, OTHER),
  'mute.unmute': relationship('mute', 'unmute', U, OTHER),
  'block.block': relationship('block', 'block', U, OTHER),
  'block.unblock': relationship('block', 'unblock', U, OTHER),
  'dm.received': {
    type: 'dm.message',
    action: 'received',
    forUserId: U,
    key: (a) => `${U}:dm:${a.id}`,
    data: (a) => ({ messageId: a.id, senderId: OTHER, senderUsername: `user${OTHER}`, recipientId: U, recipientUsername: `user${U}`, text: a.text, createdAt: AT }),
  },
  'dm.sent': {
    type: 'dm.message',
    action: 'sent',
    forUserId: U,
    key: (a) => `${U}:dm:${a.id}`,
    data: (a) => ({ messageId: a.id, senderId: U, recipientId: OTHER, text: a.text }),
  },
  'dm.indicate_typing': {
    type: 'dm.typing',
    action: null,
    forUserId: U,
    key: () => new RegExp(`^${U}:dm.typing:h[0-9a-f]{40}$`),
    data: () => ({ senderId: OTHER, recipientId: U, at: AT }),
  },
  'dm.read': {
    type: 'dm.read',
    action: null,
    forUserId: U,
    key: () => new RegExp(`^${U}:dm.read:h[0-9a-f]{40}$`),
    data: (a) => ({ senderId: OTHER, recipientId: U, lastReadEventId: a.id, at: AT }),
  },
  'oauth.revoke': {
    type: 'app.revoke',
    action: null,
    forUserId: U,
    key: () => new RegExp(`^${U}:revoke:h[0-9a-f]{40}$`),
    data: () => ({ userId: U, appId: '29820954', revokedAt: AT }),
  },
  'profile.update.bio': profile('bio'),
  'profile.update.profile_picture': profile('profile_picture'),
  'profile.update.banner_picture': profile('banner_picture'),
  'profile.update.screenname': profile('screenname'),
  'profile.update.handle': profile('handle'),
  'profile.update.geo': profile('geo'),
  'profile.update.url': profile('url'),
  'profile.update.verified_badge': profile('verified_badge'),
  'profile.update.affiliate_badge': profile('affiliate_badge'),
  'chat.received': chat('chat.message', 'received'),
  'chat.sent': chat('chat.message', 'sent', U),
  'chat.conversation.join': chat('chat.conversation', 'join'),
  'chat.conversation_join': chat('chat.conversation', 'join'),
  'chat.conversation.member_added': chat('chat.conversation', 'member_added'),
  'chat.conversation.member_removed': chat('chat.conversation', 'member_removed'),
  'chat.conversation.admin_added': chat('chat.conversation', 'admin_added'),
  'chat.conversation.admin_removed': chat('chat.conversation', 'admin_removed'),
  'chat.update.group_name': chat('chat.conversation', 'group_name'),
  'chat.update.restrictions': chat('chat.conversation', 'restrictions'),
  'news.new': {
    type: 'news',
    action: null,
    forUserId: null,
    key: (a) => `-:news:${a.id}`,
    data: (a) => ({ newsId: a.id, headline: a.text, category: 'News', keyword: 'sample', updatedAt: AT }),
  },
  'spaces.start': { type: 'space', action: 'start', forUserId: U, key: (a) => `${U}:space:${bid(a.id)}:start`, data: (a) => ({ spaceId: bid(a.id), hostId: U, hostUsername: `user${U}` }) },
  'spaces.end': { type: 'space', action: 'end', forUserId: U, key: (a) => `${U}:space:${bid(a.id)}:end`, data: (a) => ({ spaceId: bid(a.id), hostId: U }) },
  'broadcast.start': {
    type: 'broadcast',
    action: 'start',
    forUserId: U,
    key: (a) => `${U}:broadcast:${bid(a.id)}:start`,
    data: (a) => ({ broadcastId: bid(a.id), hostId: U, hostUsername: `user${U}`, title: a.text, state: 'Running', at: AT, durationMs: null }),
  },
  'broadcast.end': {
    type: 'broadcast',
    action: 'end',
    forUserId: U,
    key: (a) => `${U}:broadcast:${bid(a.id)}:end`,
    data: (a) => ({ broadcastId: bid(a.id), state: 'Ended', at: AT, durationMs: 3800 }),
  },
  'broadcast.chat': {
    type: 'broadcast.chat',
    action: null,
    forUserId: U,
    key: (a) => `${U}:broadcast.chat:${a.id}`,
    data: (a) => ({ broadcastId: bid(a.id), messageId: a.id, text: a.text, authorId: OTHER, authorUsername: `user${OTHER}` }),
  },
};

function checkEvent(e: AnyXEvent, x: Expectation, a: Activity) {
  expect(e.type).toBe(x.type);
  expect(e.action).toBe(x.action);
  expect(e.forUserId).toBe(x.forUserId);
  const key = x.key(a);
  if (typeof key === 'string') expect(e.id).toBe(key);
  else expect(e.id).toMatch(key);
  expect(e.data).toMatchObject(x.data(a));
}

describe('every event type X documents for XAA', () => {
  it('has an expectation here for each of the 42 subscribable names and oauth.revoke', () => {
    expect(XAA_EVENT_TYPES).toHaveLength(42);
    expect(Object.keys(XAA).sort()).toEqual([...XAA_EVENT_TYPES, ...XAA_DELIVERED_ONLY_TYPES].sort());
  });

  it.each(Object.keys(XAA) as Array<XaaEventType | XaaDeliveredOnlyType>)('%s: canonical type, normalized fields, forUserId and dedupe key', (eventType) => {
    const a = activityForXaaType(eventType, U, { at: AT, otherUserId: OTHER });
    const body = xaaBody(a, { eventType });
    const e = one(body);
    checkEvent(e, XAA[eventType], a);
    expect(e.format).toBe('xaa');
    expect(e.side.source).toBe(eventType);
    expect(e.side.eventUuid).toBe(JSON.parse(body).data.event_uuid);
    // The dedupe key never holds the delivery's id, and a redelivery (new event_uuid) gets the same key.
    expect(e.id).not.toContain(e.side.eventUuid!);
    expect(one(xaaBody(a, { eventType })).id).toBe(e.id);
    // The raw payload stays available (for the DM family: the message, its users map beside it).
    const sent = (parseJsonLossless(body) as { data: { payload: Record<string, unknown> } }).data.payload;
    const messages = ['direct_message_events', 'direct_message_indicate_typing_events', 'direct_message_mark_read_events'].map((k) => sent[k]).find(Array.isArray);
    expect(e.payload).toEqual(messages ? messages[0] : sent);
  });

  it('never presents an encrypted chat as a readable message', () => {
    const e = one(xaaBody(activityForXaaType('chat.received', U, { at: AT, otherUserId: OTHER, text: 'secret words' })));
    expect(e.type).toBe('chat.message');
    expect(JSON.stringify(e)).not.toContain('secret words');
    expect(e.data).not.toHaveProperty('text');
    expect(e.data).toMatchObject({ encrypted: true });
    expect(typeof (e.data as { encodedEvent: unknown }).encodedEvent).toBe('string');
  });

  it('keeps an undocumented event type as unknown, keyed by content', () => {
    const body = (uuid: string) => JSON.stringify({ data: { event_uuid: uuid, filter: { user_id: U }, event_type: 'community.note.create', payload: { id: '1', note: 'x' } } });
    const first = one(body('1'));
    expect(first).toMatchObject({ type: 'unknown', action: 'community.note.create', forUserId: U, data: null });
    expect(one(body('2')).id).toBe(first.id);
  });
});

/** What each AAA sample must become. */
const AAA: Partial<Record<(typeof SAMPLE_TYPES)[number], (a: Activity) => Partial<Omit<Expectation, 'data' | 'key'>> & { data: Record<string, unknown> }>> = {
  'post.create': (a) => ({ type: 'post.create', data: { postId: a.id, authorId: OTHER, authorUsername: `user${OTHER}`, role: 'mentioned', createdAt: AT, mentionedUserIds: [U] } }),
  'post.delete': (a) => ({ type: 'post.delete', data: { postId: a.id, authorId: U, deletedAt: AT } }),
  like: (a) => ({ type: 'like', data: { likeId: hex(a.id), postId: a.id, likerId: OTHER, likerUsername: `user${OTHER}`, postAuthorId: U, direction: 'inbound', likedAt: AT } }),
  follow: () => ({ type: 'follow', action: 'follow', data: { sourceId: OTHER, sourceUsername: `user${OTHER}`, targetId: U, targetUsername: `user${U}` } }),
  unfollow: () => ({ type: 'follow', action: 'unfollow', data: { sourceId: OTHER, targetId: U } }),
  block: () => ({ type: 'block', action: 'block', data: { sourceId: U, targetId: OTHER, targetUsername: `user${OTHER}` } }),
  unblock: () => ({ type: 'block', action: 'unblock', data: { sourceId: U, targetId: OTHER } }),
  mute: () => ({ type: 'mute', action: 'mute', data: { sourceId: U, targetId: OTHER } }),
  unmute: () => ({ type: 'mute', action: 'unmute', data: { sourceId: U, targetId: OTHER } }),
  'dm.message': (a) => ({ type: 'dm.message', action: 'received', data: { messageId: a.id, senderId: OTHER, senderUsername: `user${OTHER}`, recipientId: U, text: a.text, createdAt: AT } }),
  'dm.typing': () => ({ type: 'dm.typing', data: { senderId: OTHER, recipientId: U, at: AT } }),
  'dm.read': (a) => ({ type: 'dm.read', data: { senderId: OTHER, recipientId: U, lastReadEventId: a.id, at: AT } }),
  'app.revoke': () => ({ type: 'app.revoke', data: { userId: U, appId: '29820954', revokedAt: AT } }),
  'replay.status': (a) => ({ type: 'replay.status', action: 'Complete', forUserId: null, data: { jobId: a.id, state: 'Complete' } }),
};

describe('every AAA sample', () => {
  it('covers every sample type X delivers by AAA', () => {
    expect(Object.keys(AAA).sort()).toEqual(SAMPLE_TYPES.filter((t) => SAMPLE_FORMATS[t].includes('aaa')).sort());
  });

  it.each(Object.keys(AAA) as Array<keyof typeof AAA>)('%s: canonical type, normalized fields, forUserId', (type) => {
    const a = newActivity(type, U, { at: AT, otherUserId: OTHER });
    const e = one(sampleBody(a, 'aaa'));
    const x = AAA[type]!(a);
    expect(e.type).toBe(x.type);
    if (x.action !== undefined) expect(e.action).toBe(x.action);
    expect(e.forUserId).toBe(x.forUserId === undefined ? U : x.forUserId);
    expect(e.format).toBe('aaa');
    expect(e.data).toMatchObject(x.data);
  });

  it('reads the subscribed user\'s role from an AAA post', () => {
    for (const role of ['author', 'mentioned', 'replied_to', 'quoted', 'reposted']) {
      const a = newActivity('post.create', U, { at: AT, otherUserId: OTHER, variant: role });
      expect(one(sampleBody(a, 'aaa')).data).toMatchObject({ role });
    }
  });
});

describe('AAA and XAA deliveries of the same activity', () => {
  const cases: Array<[string, Activity]> = [
    ['own post', newActivity('post.create', U, { at: AT, otherUserId: OTHER, variant: 'author' })],
    ['mention', newActivity('post.create', U, { at: AT, otherUserId: OTHER, variant: 'mentioned' })],
    ['reply', newActivity('post.create', U, { at: AT, otherUserId: OTHER, variant: 'replied_to' })],
    ['quote', newActivity('post.create', U, { at: AT, otherUserId: OTHER, variant: 'quoted' })],
    ['repost', newActivity('post.create', U, { at: AT, otherUserId: OTHER, variant: 'reposted' })],
    ['received DM', newActivity('dm.message', U, { at: AT, otherUserId: OTHER })],
    ['sent DM', newActivity('dm.message', U, { at: AT, otherUserId: OTHER, senderId: U })],
    ['like', newActivity('like', U, { at: AT, otherUserId: OTHER })],
    ['post delete', newActivity('post.delete', U, { at: AT, otherUserId: OTHER })],
    ['typing', newActivity('dm.typing', U, { at: AT, otherUserId: OTHER })],
    ['read receipt', newActivity('dm.read', U, { at: AT, otherUserId: OTHER })],
    ['app revoke', newActivity('app.revoke', U, { at: AT, otherUserId: OTHER })],
  ];

  it.each(cases)('%s: the same type, action, dedupe key and normalized fields', (_name, a) => {
    const aaa = one(sampleBody(a, 'aaa'));
    const xaa = one(sampleBody(a, 'xaa'));
    expect([xaa.type, xaa.action, xaa.forUserId, xaa.id]).toEqual([aaa.type, aaa.action, aaa.forUserId, aaa.id]);
    // Only what one format carries may differ: AAA's v1.1 posts have no conversation id, XAA's
    // post.delete no time.
    const common = (d: unknown) => {
      const { conversationId: _c, deletedAt: _d, ...rest } = d as Record<string, unknown>;
      return rest;
    };
    expect(common(xaa.data)).toEqual(common(aaa.data));
  });
});

describe('distinct activities of one type stay apart', () => {
  it('two typing indicators a second apart', () => {
    const first = newActivity('dm.typing', U, { at: AT, otherUserId: OTHER });
    const second = newActivity('dm.typing', U, { at: new Date(AT.getTime() + 1000), otherUserId: OTHER });
    for (const format of ['aaa', 'xaa'] as const) expect(one(sampleBody(first, format)).id).not.toBe(one(sampleBody(second, format)).id);
  });

  it('two users revoking in the same second', () => {
    for (const format of ['aaa', 'xaa'] as const) {
      const one1 = one(sampleBody(newActivity('app.revoke', U, { at: AT }), format));
      const two = one(sampleBody(newActivity('app.revoke', OTHER, { at: AT }), format));
      expect([one1.forUserId, two.forUserId]).toEqual([U, OTHER]);
      expect(one1.id).not.toBe(two.id);
    }
  });

  it('a re-follow after an unfollow (AAA: X\'s timestamps; XAA: the users as X described them then)', () => {
    const follow = newActivity('follow', U, { at: AT, otherUserId: OTHER });
    const unfollow = newActivity('unfollow', U, { at: new Date(AT.getTime() + 60_000), otherUserId: OTHER });
    const refollow = newActivity('follow', U, { at: new Date(AT.getTime() + 120_000), otherUserId: OTHER });
    const aaa = [follow, unfollow, refollow].map((a) => one(sampleBody(a, 'aaa')).id);
    expect(new Set(aaa).size).toBe(3);
    // XAA's follow payload has no time (X's sample): what tells a re-follow apart is the users'
    // state X sends with it, here the follower count that changed in between.
    const xaaFollow = (count: number) => {
      const body = JSON.parse(xaaBody(follow)) as { data: { payload: { target: { data: Record<string, unknown> } } } };
      body.data.payload.target.data.public_metrics = { followers_count: count };
      return one(JSON.stringify(body)).id;
    };
    expect(xaaFollow(10)).not.toBe(xaaFollow(11));
    expect(xaaFollow(10)).toBe(xaaFollow(10));
    expect(one(sampleBody(unfollow, 'xaa')).id).not.toBe(one(sampleBody(follow, 'xaa')).id);
  });

  it('two likes of one post by different users, two DMs, two chat messages', () => {
    const ids = (type: 'like' | 'dm.message' | 'chat.message', format: 'aaa' | 'xaa') =>
      new Set([1, 2].map(() => one(sampleBody(newActivity(type, U, { at: AT, otherUserId: OTHER }), format)).id)).size;
    expect(ids('like', 'aaa')).toBe(2);
    expect(ids('like', 'xaa')).toBe(2);
    expect(ids('dm.message', 'xaa')).toBe(2);
    expect(ids('chat.message', 'xaa')).toBe(2);
  });
});
