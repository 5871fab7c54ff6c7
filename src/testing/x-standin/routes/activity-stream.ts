import { isSampleType } from '../../samples.js';
import { invalid } from '../errors.js';
import { route, STREAMED, type Route } from '../server.js';
import type { XStandIn } from '../standin.js';

/**
 * The XAA persistent stream (GET /2/activity/stream, app bearer token only): `backfill_minutes`
 * 0-5 replays what the last minutes published (ActivityStreamHub), then events as they happen,
 * with keep-alives. `start_time` and `end_time` must be X's date-times when given; the stand-in
 * does not narrow the backfill by them. The stand-in's own controls cut connections and emit bursts.
 */
export function activityStreamRoutes(x: XStandIn): Route[] {
  return [
    route('GET', '/2/activity/stream', 'app', ({ url, res, headers }) => {
      const raw = url.searchParams.get('backfill_minutes');
      const minutes = raw === null ? 0 : Number(raw);
      if (!/^\d+$/.test(raw ?? '0') || !Number.isInteger(minutes) || minutes < 0 || minutes > 5) {
        throw invalid('QueryParamInvalid', 'backfill_minutes must be an integer from 0 to 5');
      }
      for (const name of ['start_time', 'end_time']) {
        const v = url.searchParams.get(name);
        if (v !== null && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(v)) {
          throw invalid('QueryParamInvalid', `${name} must be YYYY-MM-DDTHH:mm:ssZ`);
        }
      }
      x.streamRequests.push({ backfillMinutes: minutes, at: x.now() });
      x.stream.open(res, minutes, headers);
      return [200, STREAMED];
    }),
    // The stand-in's controls (not X's).
    route('POST', '/_standin/stream/drop', 'none', ({ body }) => {
      const after = body.after_lines === undefined ? 0 : Number(body.after_lines);
      if (!Number.isInteger(after) || after < 0) throw invalid('QueryParamInvalid', 'after_lines must be a whole number');
      const open = x.stream.connections;
      x.stream.drop(after);
      return [200, { data: { connections: open, after_lines: after } }];
    }),
    route('POST', '/_standin/stream/burst', 'none', async ({ body }) => {
      const type = String(body.type ?? 'post.create');
      if (!isSampleType(type)) throw invalid('QueryParamInvalid', `type ${type} has no sample`);
      const userId = String(body.user_id ?? x.users[0]?.id ?? '');
      if (!userId) throw invalid('QueryParamInvalid', 'user_id is required');
      const count = Number(body.count ?? 10);
      if (!Number.isInteger(count) || count < 1 || count > 100_000) throw invalid('QueryParamInvalid', 'count must be 1 to 100000');
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push((await x.emit(type, userId, body.variant ? { variant: String(body.variant) } : {})).activity.id);
      return [200, { data: { emitted: ids.length, ids } }];
    }),
  ];
}
