import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { definePlugin } from 'x-activity-receiver';

export interface MentionsOptions {
  /** The file each mention is appended to, one JSON line per post. */
  file: string;
}

/** HANDLER_OPTIONS_MENTIONS, checked at startup: a missing or wrong value stops the receiver with this message. */
function parseOptions(input: unknown): MentionsOptions {
  if (input === undefined) return { file: './data/mentions.jsonl' };
  const file = (input as { file?: unknown } | null)?.file;
  if (typeof file !== 'string' || file === '') throw new Error('expected {"file": "<path of the mentions file>"}');
  return { file };
}

/**
 * Keeps the posts that mention a subscribed user: one JSON line per post in `options.file`.
 * `event.payload` is typed by the event type; AAA and XAA deliveries arrive as the same event.
 */
export default definePlugin({
  // The stable name: completion records key on it, and it names HANDLER_OPTIONS_MENTIONS.
  name: 'mentions',
  options: parseOptions,
  setup(hooks, options) {
    hooks.on('post.create', async (event, ctx) => {
      // post.create is every post in the user's timeline: their own, replies, quotes, reposts and
      // mentions of them. event.data says which, for AAA and XAA deliveries alike.
      if (event.data.role !== 'mentioned') return;
      const mention = {
        id: event.data.postId,
        text: event.data.text,
        author: event.data.authorId,
        forUserId: event.forUserId,
        format: event.format,
      };
      // Throwing means "try again later": the run is retried, then dead-lettered.
      await mkdir(path.dirname(path.resolve(options.file)), { recursive: true });
      await appendFile(options.file, `${JSON.stringify(mention)}\n`);
      ctx.log.info({ post: mention.id }, 'mention saved');
    });
  },
});
