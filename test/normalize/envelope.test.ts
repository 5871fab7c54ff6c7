import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/normalize/envelope/index.js';
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
});
