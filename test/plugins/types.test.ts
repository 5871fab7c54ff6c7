// Type-level tests: checked by tsc (npm run typecheck, part of npm test) and run by vitest.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  definePlugin,
  MissingCredentialError,
  RateLimitedError,
  XApiError,
  type HandlerContext,
  type HandlerFailure,
  type Hooks,
  type Plugin,
  type PluginDefinition,
  type SentDirectMessage,
  type XClient,
} from '../../src/plugins/index.js';
import type {
  ChatData,
  DirectMessageData,
  DirectMessagePayload,
  LikeData,
  MatchingRule,
  PostData,
  PostMatchData,
  PostPayload,
  PostRole,
  RelationshipData,
  RelationshipPayload,
  XEvent,
} from '../../src/events/index.js';
import type { Handler } from '../../src/plugins/index.js';
import { parseEvents } from '../../src/normalize/envelope/index.js';
import { parseJsonLossless } from '../../src/normalize/json.js';
import { newActivity, sampleBody } from '../../src/testing/samples.js';

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

  it('types ctx.x as the X API client, always present, with what its calls answer and throw', () => {
    definePlugin((hooks) => {
      hooks.on('dm.message', async (event, ctx) => {
        expectTypeOf(ctx.x).toEqualTypeOf<XClient>();
        // No guard needed: ctx.x is never undefined.
        const sent = await ctx.x.sendDirectMessage(event.forUserId!, '783214', 'thanks!');
        expectTypeOf(sent).toEqualTypeOf<SentDirectMessage>();
        expectTypeOf(ctx.x.sendDirectMessage).parameters.toEqualTypeOf<[fromUserId: string, toUserId: string, text: string]>();
        // @ts-expect-error the client has no such call
        void ctx.x.sendDM;
        // @ts-expect-error the text is a string
        void ctx.x.sendDirectMessage('1', '2', 3);
      });
      hooks.onError(({ error }) => {
        if (error instanceof RateLimitedError) expectTypeOf(error.resetAt).toEqualTypeOf<Date | null>();
        if (error instanceof XApiError) expectTypeOf(error.status).toEqualTypeOf<number>();
        if (error instanceof MissingCredentialError) expectTypeOf(error.variables).toEqualTypeOf<string[]>();
      });
    });
    expectTypeOf<HandlerContext['x']>().not.toBeNullable();
  });

  it('types onError: which plugin failed, and the allPlugins option', () => {
    definePlugin((hooks) => {
      hooks.onError((failure, ctx) => {
        expectTypeOf(failure).toEqualTypeOf<HandlerFailure>();
        expectTypeOf(failure.plugin).toEqualTypeOf<string>();
        expectTypeOf(failure.final).toEqualTypeOf<boolean>();
        expectTypeOf(ctx.plugin).toEqualTypeOf<string>();
      });
      hooks.onError(() => {}, { allPlugins: true });
      // @ts-expect-error the option is allPlugins
      hooks.onError(() => {}, { all: true });
    });
  });

  it('types options from the options schema or parser, and requires a name in definePlugin({ ... })', () => {
    const withSchema = definePlugin({
      name: 'crm',
      options: z.object({ url: z.url(), retries: z.number().default(3) }),
      setup(hooks, options) {
        expectTypeOf(options).toEqualTypeOf<{ url: string; retries: number }>();
        expectTypeOf(hooks).toEqualTypeOf<Hooks>();
      },
    });
    expectTypeOf(withSchema).toEqualTypeOf<PluginDefinition<{ url: string; retries: number }>>();

    definePlugin({
      name: 'optional',
      options: z.object({ text: z.string() }).optional(),
      setup(_hooks, options) {
        expectTypeOf(options).toEqualTypeOf<{ text: string } | undefined>();
      },
    });

    definePlugin({
      name: 'parsed-by-hand',
      options: (raw: unknown) => ({ limit: typeof raw === 'number' ? raw : 10 }),
      setup(_hooks, options) {
        expectTypeOf(options).toEqualTypeOf<{ limit: number }>();
      },
    });

    definePlugin({
      name: 'no-options',
      setup(_hooks, options) {
        expectTypeOf(options).toEqualTypeOf<unknown>();
      },
    });

    // @ts-expect-error a plugin definition needs its name
    definePlugin({ setup() {} });

    definePlugin({
      name: 'mismatch',
      options: z.object({ url: z.string() }),
      setup(_hooks, options) {
        // @ts-expect-error the schema has no such option
        void options.port;
      },
    });
  });

  it('keeps function plugins working, with options as a second argument', () => {
    const old = definePlugin((hooks) => hooks.onAny(() => {}));
    expectTypeOf(old).toEqualTypeOf<Plugin>();
    const asPlugin: Plugin = (hooks) => hooks.onAny(() => {});
    expectTypeOf(definePlugin(asPlugin)).toEqualTypeOf<Plugin>();
    definePlugin((_hooks, options) => {
      expectTypeOf(options).toEqualTypeOf<unknown>();
    });
  });

  it('compiles one handler against both formats: event.data is typed per event type, not per format', () => {
    // Written once, with no branch on event.format.
    const onPost: Handler<'post.create'> = (event) => {
      expectTypeOf(event.data).toEqualTypeOf<PostData>();
      expectTypeOf(event.data.role).toEqualTypeOf<PostRole | null>();
      expectTypeOf(event.data.authorId).toEqualTypeOf<string | null>();
      return `${event.data.role} ${event.data.postId} by ${event.data.authorUsername}: ${event.data.text}`;
    };
    const onDm: Handler<'dm.message'> = (event) => {
      expectTypeOf(event.data).toEqualTypeOf<DirectMessageData>();
      return `${event.action} ${event.data.messageId} ${event.data.senderId} -> ${event.data.recipientId}: ${event.data.text}`;
    };
    definePlugin((hooks) => {
      hooks.on('post.create', onPost);
      hooks.on('dm.message', onDm);
      hooks.on('like', (event) => expectTypeOf(event.data).toEqualTypeOf<LikeData>());
      hooks.on(['follow', 'block', 'mute'], (event) => expectTypeOf(event.data).toEqualTypeOf<RelationshipData>());
      hooks.on('chat.message', (event) => {
        expectTypeOf(event.data).toEqualTypeOf<ChatData>();
        // An encrypted chat has no readable text.
        // @ts-expect-error no text on an encrypted chat
        void event.data.text;
      });
      hooks.onAny((event) => {
        if (event.type === 'unknown') expectTypeOf(event.data).toEqualTypeOf<null>();
      });
    });

    // And the same handler gives the same answer for an AAA and an XAA delivery of one activity.
    const ctx = {} as Parameters<typeof onPost>[1];
    for (const [type, handler] of [['post.create', onPost], ['dm.message', onDm]] as const) {
      const a = newActivity(type, '2244994945', { otherUserId: '1375036644', ...(type === 'post.create' ? { variant: 'replied_to' } : {}) });
      const [aaa, xaa] = (['aaa', 'xaa'] as const).map((f) => parseEvents(parseJsonLossless(sampleBody(a, f)))[0]!);
      expect(aaa!.format).toBe('aaa');
      expect(xaa!.format).toBe('xaa');
      const run = handler as (e: XEvent, c: typeof ctx) => unknown;
      expect(run(xaa as XEvent, ctx)).toBe(run(aaa as XEvent, ctx));
      expect(run(aaa as XEvent, ctx)).toMatch(type === 'post.create' ? /^replied_to \d+ by user1375036644: @user2244994945 sample/ : /^received \d+ 1375036644 -> 2244994945: sample/);
    }
  });

  it('types a filtered-stream post.match handler: the post fields and the matching rules, no subscribed user\'s role', () => {
    const onMatch: Handler<'post.match'> = (event) => {
      expectTypeOf(event.data).toEqualTypeOf<PostMatchData>();
      expectTypeOf(event.data.rules).toEqualTypeOf<MatchingRule[]>();
      expectTypeOf(event.data.rules[0]!.id).toEqualTypeOf<string>();
      expectTypeOf(event.data.rules[0]!.tag).toEqualTypeOf<string | null>();
      expectTypeOf(event.data.role).toEqualTypeOf<null>();
      expectTypeOf(event.payload).toEqualTypeOf<PostPayload>();
      expectTypeOf(event.action).toEqualTypeOf<null>();
      expectTypeOf(event.format).toEqualTypeOf<'aaa' | 'xaa' | 'filtered_stream'>();
      return `${event.data.postId} by ${event.data.authorUsername}: ${event.data.rules.map((r) => r.tag ?? r.id).join(',')}`;
    };
    definePlugin({
      name: 'matches',
      setup(hooks) {
        hooks.on('post.match', onMatch);
        // One handler for both post kinds reads the fields they share.
        hooks.on(['post.create', 'post.match'], (event) => {
          expectTypeOf(event.data.postId).toEqualTypeOf<string | null>();
          // @ts-expect-error only post.match events carry rules
          void event.data.rules;
        });
      },
    });
    const a = newActivity('post.match', '', { otherUserId: '1375036644', rules: [{ id: '7', tag: 'news' }, { id: '8' }] });
    const [event] = parseEvents(parseJsonLossless(sampleBody(a, 'filtered_stream')));
    expect(event!.type).toBe('post.match');
    expect((onMatch as (e: XEvent, c: never) => unknown)(event as XEvent, {} as never)).toBe(`${a.id} by user1375036644: news,8`);
  });
});
