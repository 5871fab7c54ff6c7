import { Argument, Command, Option } from 'commander';
import { sign, SIGNATURE_HEADER } from '../receiver/signature.js';
import { formatLabel, isSampleType, newActivity, SAMPLE_FORMATS, SAMPLE_TYPES, SAMPLE_VARIANTS, sampleBody, xaaEventTypeOf, type SampleFormat } from '../testing/samples.js';
import { jsonAction } from './context.js';

export function triggerCommand(): Command {
  return jsonAction(
    new Command('trigger')
      .addArgument(new Argument('<type>', 'the sample event').choices(SAMPLE_TYPES))
      .option('--url <url>', 'where to post (default http://127.0.0.1:$PORT$WEBHOOK_PATH)')
      .addOption(
        new Option(
          '--format <format>',
          'the envelope: aaa, xaa, or filtered_stream (post.match only) (default: aaa where X delivers the type by AAA, else xaa; filtered_stream for post.match)',
        ).choices(['aaa', 'xaa', 'filtered_stream']),
      )
      .option(
        '--variant <name>',
        `post.create: the subscribed user's role (${SAMPLE_VARIANTS['post.create']!.join(', ')}); profile.update: the field; ` +
          'chat.conversation: the change; space, broadcast: start or end',
      )
      .option(
        '--rule <[id:]tag>',
        'post.match: a filtered-stream rule the post matched, by its tag (and its id: 1234:tag; an id is made up otherwise); repeat it for several (default: one rule tagged "sample")',
        (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
      )
      .option('--text <text>', 'the post\'s or message\'s text')
      .option('--user-id <id>', 'the subscribed user (for_user_id / filter.user_id; post.match has none)', '2244994945')
      .option('--from-user-id <id>', 'the other party (follower, sender, author)', '1375036644')
      .description('sign a fresh sample event with X_CONSUMER_SECRET and post it, as X would'),
    async (ctx, type: string, o: { url?: string; format?: SampleFormat; variant?: string; rule?: string[]; text?: string; userId: string; fromUserId: string }) => {
      // Commander already rejected other values (with the allowed ones listed); this narrows the type.
      if (!isSampleType(type)) throw new Error(`unknown event type "${type}": use one of ${SAMPLE_TYPES.join(', ')}`);
      const formats = SAMPLE_FORMATS[type];
      const format = o.format ?? formats[0]!;
      if (!formats.includes(format)) {
        throw new Error(`${type} has no ${format.toUpperCase()} form: X delivers it by ${formats.map(formatLabel).join(' and ')} only (use --format ${formats[0]})`);
      }
      if (o.rule && type !== 'post.match') throw new Error(`--rule applies to post.match only (a filtered-stream delivery), not to ${type}`);
      const rules = o.rule?.map(parseRule);
      const secret = ctx.config.consumerSecret;
      if (!secret) throw new Error("trigger needs X_CONSUMER_SECRET (the app's consumer secret) to sign the event");
      const url = o.url ?? `http://127.0.0.1:${ctx.config.port}${ctx.config.webhookPath}`;
      // newActivity names the allowed variants when given another.
      const activity = newActivity(type, o.userId, {
        otherUserId: o.fromUserId,
        ...(o.variant !== undefined ? { variant: o.variant } : {}),
        ...(o.text !== undefined ? { text: o.text } : {}),
        ...(rules ? { rules } : {}),
      });
      const body = sampleBody(activity, format);
      const eventType = format === 'xaa' ? xaaEventTypeOf(activity) : undefined;
      const started = performance.now();
      let res: Response;
      let answer: string;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(secret, body) },
          body,
          signal: AbortSignal.timeout(ctx.config.x.timeoutMs),
        });
        answer = await res.text();
      } catch (error) {
        throw new Error(`cannot post to ${url}: ${unreachable(error, ctx.config.x.timeoutMs)}`);
      }
      const latencyMs = Math.round(performance.now() - started);
      let parsed: unknown = answer;
      try {
        parsed = JSON.parse(answer);
      } catch {
        // keep the text
      }
      const matched = activity.rules ? ` rules ${activity.rules.map((r) => `${r.id}${r.tag !== undefined ? ` (${r.tag})` : ''}`).join(', ')}` : '';
      ctx.print(
        {
          url,
          type,
          format,
          ...(eventType ? { eventType } : {}),
          ...(activity.variant ? { variant: activity.variant } : {}),
          ...(activity.rules ? { rules: activity.rules } : {}),
          activityId: activity.id,
          status: res.status,
          latencyMs,
          answer: parsed,
        },
        () => `${type} (${format}${eventType ? ` ${eventType}` : ''}${matched}) -> ${url}: HTTP ${res.status} in ${latencyMs} ms${res.ok ? '' : `: ${answer.slice(0, 300)}`}`,
      );
      return res.ok ? 0 : 1;
    },
  );
}

/** Why a post got no answer, in a few words (fetch says only "fetch failed"), and what to check. */
function unreachable(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms (X_API_TIMEOUT_MS)`;
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused: is the receiver running there (xaa serve, xaa dev)? Else pass --url, or set PORT and WEBHOOK_PATH as it has them';
  return code ? `network error ${code}` : `network error: ${e?.cause?.message ?? (error as Error)?.message ?? String(error)}`;
}

/** `--rule tag` or `--rule 1234:tag` (an id of 1 to 19 digits, X's rule ids). */
function parseRule(value: string): { id?: string; tag: string } {
  const m = /^(\d{1,19}):(.*)$/s.exec(value);
  const rule = m ? { id: m[1]!, tag: m[2]! } : { tag: value };
  if (rule.tag === '') throw new Error(`--rule "${value}" has no tag: pass --rule <tag> or --rule <id>:<tag>`);
  return rule;
}
