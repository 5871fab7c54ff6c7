// Type-level tests: checked by tsc (npm run typecheck, part of npm test) and run by vitest.
import { describe, expectTypeOf, it } from 'vitest';
import { definePlugin, type Hooks } from '../../src/plugins/index.js';
import type { DirectMessagePayload, PostPayload, RelationshipPayload, XEvent } from '../../src/events/index.js';

describe('plugin contract types', () => {
  it('narrows the payload and action by event type', () => {
    definePlugin((hooks: Hooks) => {
      hooks.on('post.create', (event) => {
        expectTypeOf(event.payload).toEqualTypeOf<PostPayload>();
        expectTypeOf(event.action).toEqualTypeOf<null>();
        expectTypeOf(event.payload.id_str).toEqualTypeOf<string | undefined>();
      });
      hooks.on('follow', (event) => {
        expectTypeOf(event.payload).toEqualTypeOf<RelationshipPayload>();
        expectTypeOf(event.action).toEqualTypeOf<'follow' | 'unfollow'>();
      });
      hooks.on(['follow', 'block'], (event) => {
        expectTypeOf(event.payload).toEqualTypeOf<RelationshipPayload>();
      });
      hooks.on('dm.message', (event) => {
        expectTypeOf(event.payload).toEqualTypeOf<DirectMessagePayload>();
        expectTypeOf(event.action).toEqualTypeOf<'received' | 'sent'>();
        expectTypeOf(event.forUserId).toEqualTypeOf<string | null>();
      });
      hooks.onAny((event) => {
        if (event.type === 'mute') expectTypeOf(event).toEqualTypeOf<XEvent<'mute'>>();
      });
    });
  });

  it('rejects unknown event types at compile time', () => {
    definePlugin((hooks) => {
      // @ts-expect-error "tweet" is not an event type
      hooks.on('tweet', () => {});
    });
  });
});
