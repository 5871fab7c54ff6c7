import { Argument, Command, Option } from 'commander';
import { sign, SIGNATURE_HEADER } from '../receiver/signature.js';
import { isSampleType, newActivity, SAMPLE_FORMATS, SAMPLE_TYPES, SAMPLE_VARIANTS, sampleBody, xaaEventTypeOf } from '../testing/samples.js';
import { jsonAction } from './context.js';

export function triggerCommand(): Command {
  return jsonAction(
    new Command('trigger')
      .addArgument(new Argument('<type>', 'the sample event').choices(SAMPLE_TYPES))
      .option('--url <url>', 'where to post (default http://127.0.0.1:$PORT$WEBHOOK_PATH)')
      .addOption(
        new Option('--format <format>', 'the envelope: aaa or xaa (default: aaa where X delivers the type by AAA, else xaa)').choices(['aaa', 'xaa']),
      )
      .option(
        '--variant <name>',
        `post.create: the subscribed user's role (${SAMPLE_VARIANTS['post.create']!.join(', ')}); profile.update: the field; ` +
          'chat.conversation: the change; space, broadcast: start or end',
      )
      .option('--user-id <id>', 'the subscribed user (for_user_id / filter.user_id)', '2244994945')
      .option('--from-user-id <id>', 'the other party (follower, sender, author)', '1375036644')
      .description('sign a fresh sample event with X_CONSUMER_SECRET and post it, as X would'),
    async (ctx, type: string, o: { url?: string; format?: 'aaa' | 'xaa'; variant?: string; userId: string; fromUserId: string }) => {
      // Commander already rejected other values (with the allowed ones listed); this narrows the type.
      if (!isSampleType(type)) throw new Error(`unknown event type "${type}": use one of ${SAMPLE_TYPES.join(', ')}`);
      const formats = SAMPLE_FORMATS[type];
      const format = o.format ?? formats[0]!;
      if (!formats.includes(format)) {
        throw new Error(`${type} has no ${format.toUpperCase()} form: X delivers it by ${formats.join(' and ').toUpperCase()} only (use --format ${formats[0]})`);
      }
      const secret = ctx.config.consumerSecret;
      if (!secret) throw new Error("trigger needs X_CONSUMER_SECRET (the app's consumer secret) to sign the event");
      const url = o.url ?? `http://127.0.0.1:${ctx.config.port}${ctx.config.webhookPath}`;
      // newActivity names the allowed variants when given another.
      const activity = newActivity(type, o.userId, { otherUserId: o.fromUserId, ...(o.variant !== undefined ? { variant: o.variant } : {}) });
      const body = sampleBody(activity, format);
      const eventType = format === 'xaa' ? xaaEventTypeOf(activity) : undefined;
      const started = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(secret, body) },
        body,
        signal: AbortSignal.timeout(ctx.config.x.timeoutMs),
      });
      const answer = await res.text();
      const latencyMs = Math.round(performance.now() - started);
      let parsed: unknown = answer;
      try {
        parsed = JSON.parse(answer);
      } catch {
        // keep the text
      }
      ctx.print({ url, type, format, ...(eventType ? { eventType } : {}), ...(activity.variant ? { variant: activity.variant } : {}), activityId: activity.id, status: res.status, latencyMs, answer: parsed }, () =>
        `${type} (${format}${eventType ? ` ${eventType}` : ''}) -> ${url}: HTTP ${res.status} in ${latencyMs} ms${res.ok ? '' : `: ${answer.slice(0, 300)}`}`,
      );
      return res.ok ? 0 : 1;
    },
  );
}
