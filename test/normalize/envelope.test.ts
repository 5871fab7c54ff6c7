import { describe, expect, it } from 'vitest';
import { parseEnvelope, parseEvents } from '../../src/normalize/envelope/index.js';
import { parseJsonLossless } from '../../src/normalize/json.js';

describe('envelope normalization (pure)', () => {
  it('makes one event per message of an XAA DM payload that still wraps direct_message_events', () => {
    const body = {
      data: {
        event_type: 'dm.received',
        event_uuid: 'u-1',
        filter: { user_id: '2244994945' },
        payload: {
          direct_message_events: [
            { type: 'message_create', id: '1985234567890400001', created_timestamp: '1793618400000', message_create: { sender_id: '1375036644', target: { recipient_id: '2244994945' } } },
            { type: 'message_create', id: '1985234567890400002', created_timestamp: '1793618400001', message_create: { sender_id: '2244994945', target: { recipient_id: '1375036644' } } },
          ],
        },
      },
    };
    const { format, events } = parseEnvelope(body);
    expect(format).toBe('xaa');
    expect(events.map((e) => [e.type, e.action, e.id])).toEqual([
      ['dm.message', 'received', '2244994945:dm:1985234567890400001'],
      ['dm.message', 'sent', '2244994945:dm:1985234567890400002'],
    ]);
  });

  it('gives an app revoke the same dedupe key through AAA and XAA', () => {
    const revoke = { date_time: '2026-11-02T11:05:00+00:00', target: { app_id: '13090192' }, source: { user_id: '1375036644' } };
    const aaa = parseEnvelope({ user_event: { revoke } }).events[0]!;
    const xaa = parseEnvelope({ data: { event_type: 'oauth.revoke', event_uuid: 'r-1', filter: { user_id: '1375036644' }, payload: revoke } }).events[0]!;
    expect(aaa.type).toBe('app.revoke');
    expect(xaa.type).toBe('app.revoke');
    expect(xaa.id).toBe(aaa.id);
  });

  it('keeps 64-bit numeric ids exact as strings', () => {
    const { events } = parseEnvelope(parseJsonLossless('{"for_user_id":"1","tweet_create_events":[{"id":1985234567890123456}]}'));
    expect(events[0]!.id).toBe('1:post:1985234567890123456');
  });

  it("dates an XAA like by the like's own time (timestamp_ms), not by the liked post's created_at", () => {
    const payload = { id: '87719f0a6d2b4b0c9a1d5e3f7c8b9a01', created_at: '2024-01-01T00:00:00.000Z', liked_tweet_id: '1985234567890123456', liked_tweet_author_id: '2244994945' };
    const xaa = (p: object) => ({ data: { event_type: 'like.create', event_uuid: 'l-1', filter: { user_id: '2244994945' }, payload: p } });
    // X: created_at is the "Creation time of the liked Post"; as the like's time it would make
    // the like of an old post stale (stored, never dispatched).
    expect(parseEnvelope(xaa(payload)).events[0]!.occurredAt).toBeNull();
    expect(parseEnvelope(xaa({ ...payload, timestamp_ms: '1793618400000' })).events[0]!.occurredAt).toEqual(new Date(1793618400000));
    // AAA's favorite event has a created_at of its own: it stays the like's time.
    const aaa = { for_user_id: '2244994945', favorite_events: [{ id: 'a7ba59', created_at: 'Mon Nov 02 09:15:41 +0000 2026', favorited_status: { id_str: '1985234567890123456' }, user: { id_str: '1375036644' } }] };
    expect(parseEnvelope(aaa).events[0]!.occurredAt).toEqual(new Date('2026-11-02T09:15:41.000Z'));
  });

  it("reads a long AAA post's mentions and text from extended_tweet, and a v2 long post's from note_tweet", () => {
    const aaa = parseEvents({
      for_user_id: '2244994945',
      tweet_create_events: [
        {
          id_str: '1924465506158878979',
          truncated: true,
          text: 'the first part…',
          user: { id_str: '1375036644' },
          entities: { user_mentions: [] },
          extended_tweet: { full_text: 'the whole post @XDevelopers', entities: { user_mentions: [{ id_str: '2244994945' }] } },
        },
      ],
    })[0]!;
    expect(aaa.data).toMatchObject({ text: 'the whole post @XDevelopers', mentionedUserIds: ['2244994945'], role: 'mentioned' });
    const xaa = parseEvents({
      data: {
        event_type: 'post.mention.create',
        event_uuid: 'm-1',
        filter: { user_id: '2244994945' },
        payload: { id: '1924465506158878980', author_id: '1375036644', text: 'the first 280…', note_tweet: { text: 'the whole long post @XDevelopers', entities: { mentions: [{ id: '2244994945' }] } } },
      },
    })[0]!;
    expect(xaa.data).toMatchObject({ text: 'the whole long post @XDevelopers', mentionedUserIds: ['2244994945'] });
  });

  it('takes unfollow_events, unblock_events and unmute_events as the undo of follow, block and mute, keyed as X\'s samples send them', () => {
    const undo = { type: 'unfollow', created_timestamp: '1517588749178', source: { id_str: '2244994945' }, target: { id_str: '1375036644' } };
    const byOwnKey = parseEnvelope({ for_user_id: '2244994945', unfollow_events: [undo] }).events[0]!;
    const asSample = parseEnvelope({ for_user_id: '2244994945', follow_events: [undo] }).events[0]!;
    expect([byOwnKey.type, byOwnKey.action]).toEqual(['follow', 'unfollow']);
    expect(byOwnKey.id).toBe(asSample.id);
    expect(parseEnvelope({ for_user_id: '2244994945', unblock_events: [{ ...undo, type: 'unblock' }] }).events[0]).toMatchObject({ type: 'block', action: 'unblock' });
    expect(parseEnvelope({ for_user_id: '2244994945', unmute_events: [{ ...undo, type: 'unmute' }] }).events[0]).toMatchObject({ type: 'mute', action: 'unmute' });
  });
});
