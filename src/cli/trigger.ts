import { Argument, Command, Option } from 'commander';
import { sign, SIGNATURE_HEADER } from '../receiver/signature.js';
import { aaaBody, isSampleType, newActivity, SAMPLE_TYPES, xaaBody } from '../testing/samples.js';
import { jsonAction } from './context.js';

export function triggerCommand(): Command {
  return jsonAction(
    new Command('trigger')
      .addArgument(new Argument('<type>', 'the sample event').choices(SAMPLE_TYPES))
      .option('--url <url>', 'where to post (default http://127.0.0.1:$PORT$WEBHOOK_PATH)')
      .addOption(new Option('--format <format>', 'the envelope: aaa or xaa').choices(['aaa', 'xaa']).default('aaa'))
      .option('--user-id <id>', 'the subscribed user (for_user_id / filter.user_id)', '2244994945')
      .option('--from-user-id <id>', 'the other party (follower, sender, author)', '1375036644')
      .description('sign a fresh sample event with X_CONSUMER_SECRET and post it, as X would'),
    async (ctx, type: string, o: { url?: string; format: 'aaa' | 'xaa'; userId: string; fromUserId: string }) => {
      // Commander already rejected other values (with the allowed ones listed); this narrows the type.
      if (!isSampleType(type)) throw new Error(`unknown event type "${type}": use one of ${SAMPLE_TYPES.join(', ')}`);
      const secret = ctx.config.consumerSecret;
      if (!secret) throw new Error("trigger needs X_CONSUMER_SECRET (the app's consumer secret) to sign the event");
      const url = o.url ?? `http://127.0.0.1:${ctx.config.port}${ctx.config.webhookPath}`;
      const activity = newActivity(type, o.userId, { otherUserId: o.fromUserId });
      const body = o.format === 'aaa' ? aaaBody(activity) : xaaBody(activity);
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
      ctx.print({ url, type, format: o.format, activityId: activity.id, status: res.status, latencyMs, answer: parsed }, () =>
        `${type} (${o.format}) -> ${url}: HTTP ${res.status} in ${latencyMs} ms${res.ok ? '' : `: ${answer.slice(0, 300)}`}`,
      );
      return res.ok ? 0 : 1;
    },
  );
}
