import { snowflake } from '../../samples.js';
import { HttpError, INVALID, invalid } from '../errors.js';
import { route, type Route } from '../server.js';
import type { XStandIn } from '../standin.js';
import type { StreamRuleState } from '../types.js';

const ID = /^[0-9]{1,19}$/;

/** The query parameters a link takes: those of GET /2/tweets/search/stream (X's quickstart). */
const LINK_PARAMS = ['expansions', 'tweet.fields', 'user.fields', 'media.fields', 'poll.fields', 'place.fields'];

function webhookIdParam(x: XStandIn, raw: string): string {
  if (!ID.test(raw)) throw new HttpError(400, { ...INVALID, errors: [{ parameter: 'webhook_id', value: raw, message: `The \`webhook_id\` query parameter value [${raw}] does not match ^[0-9]{1,19}$` }] });
  return x.webhook(raw).id;
}

/**
 * Filtered-stream webhooks as X's spec has them (app bearer token):
 * - POST /2/tweets/search/webhooks/:webhook_id (the query parameters of the filtered stream
 *   allowed, kept as the link's fields) -> {data: {provisioned: true}}; linking a linked webhook
 *   again replaces its fields (X documents no error for it);
 * - DELETE /2/tweets/search/webhooks/:webhook_id -> {data: {deleted}} (false when it was not linked);
 * - GET /2/tweets/search/webhooks -> {data: [links]} (the spec's shape);
 * an unknown webhook is X's WebhookIdInvalid (400), as for the other webhook routes.
 * And the rules: GET /2/tweets/search/stream/rules (ids, max_results, pagination_token) and
 * POST (add, or delete by ids or values; dry_run), answered with X's meta.summary; a duplicate or
 * invalid rule is reported per rule in `errors`.
 */
export function filteredStreamRoutes(x: XStandIn): Route[] {
  return [
    route('GET', '/2/tweets/search/webhooks', 'app', () => [200, { data: [...x.streamLinks.values()] }]),
    route('POST', '/2/tweets/search/webhooks/:webhook_id', 'app', ({ params, url }) => {
      const webhookId = webhookIdParam(x, params[0]!);
      const fields: string[] = [];
      for (const [k, v] of url.searchParams) {
        if (!LINK_PARAMS.includes(k)) throw invalid('QueryParamInvalid', `The query parameter [${k}] is not one of [${LINK_PARAMS.join(',')}]`);
        fields.push(`${k}=${v}`);
      }
      const now = x.now();
      const previous = x.streamLinks.get(webhookId);
      x.streamLinks.set(webhookId, {
        webhook_id: webhookId,
        fields,
        application_id: '29893711',
        business_user_id: x.users[0]?.id ?? '1877374016438091776',
        instance_id: previous?.instance_id ?? snowflake(now.getTime()),
        created_at: previous?.created_at ?? now.toISOString(),
      });
      return [200, { data: { provisioned: true } }];
    }),
    route('DELETE', '/2/tweets/search/webhooks/:webhook_id', 'app', ({ params }) => {
      const webhookId = webhookIdParam(x, params[0]!);
      return [200, { data: { deleted: x.streamLinks.delete(webhookId) } }];
    }),

    route('GET', '/2/tweets/search/stream/rules', 'app', ({ url }) => {
      const ids = url.searchParams.get('ids');
      let rules = [...x.streamRules.values()];
      if (ids !== null) {
        const wanted = ids.split(',').filter(Boolean);
        if (!wanted.every((i) => ID.test(i))) throw invalid('QueryParamInvalid', 'ids must be rule ids');
        rules = rules.filter((r) => wanted.includes(r.id));
      }
      const max = Number(url.searchParams.get('max_results') ?? 1000);
      if (!Number.isInteger(max) || max < 1 || max > 1000) throw invalid('QueryParamInvalid', 'max_results must be 1 to 1000');
      const token = url.searchParams.get('pagination_token');
      const offset = token === null ? 0 : Number.parseInt(token, 32);
      if (token !== null && (token.length !== 16 || !Number.isInteger(offset))) throw invalid('QueryParamInvalid', 'pagination_token is invalid');
      const page = rules.slice(offset, offset + max);
      const meta: Record<string, unknown> = { sent: x.now().toISOString(), result_count: page.length };
      if (offset + max < rules.length) meta.next_token = (offset + max).toString(32).padStart(16, '0');
      return [200, page.length ? { data: page, meta } : { meta }];
    }),
    route('POST', '/2/tweets/search/stream/rules', 'app', ({ body, url }) => {
      const dryRun = url.searchParams.get('dry_run') === 'true';
      const sent = x.now().toISOString();
      if (url.searchParams.get('delete_all') === 'true') {
        const deleted = x.streamRules.size;
        if (!dryRun) x.streamRules.clear();
        return [200, { meta: { sent, summary: { deleted, not_deleted: 0 } } }];
      }
      const extra = Object.keys(body).filter((k) => k !== 'add' && k !== 'delete');
      if (extra.length || (body.add === undefined) === (body.delete === undefined)) {
        throw invalid('QueryParamInvalid', 'the body takes exactly one of add and delete');
      }
      const errors: Array<Record<string, unknown>> = [];
      if (body.add !== undefined) {
        if (!Array.isArray(body.add) || body.add.length === 0) throw invalid('QueryParamInvalid', 'add must be a non-empty list of {value, tag}');
        const created: StreamRuleState[] = [];
        for (const item of body.add as Array<Record<string, unknown>>) {
          const value = typeof item?.value === 'string' ? item.value.trim() : '';
          if (!value || value.length > 2048) {
            errors.push({ value: item?.value ?? null, title: 'UnprocessableEntity', detail: 'A rule must be 1 to 2048 characters', type: 'https://api.x.com/2/problems/invalid-rules' });
            continue;
          }
          const duplicate = [...x.streamRules.values(), ...created].find((r) => r.value === value);
          if (duplicate) {
            errors.push({ value, id: duplicate.id, title: 'DuplicateRule', type: 'https://api.x.com/2/problems/duplicate-rules' });
            continue;
          }
          const rule: StreamRuleState = { id: snowflake(), value, ...(typeof item.tag === 'string' ? { tag: item.tag } : {}) };
          created.push(rule);
        }
        if (!dryRun) for (const r of created) x.streamRules.set(r.id, r);
        const summary = { created: dryRun ? 0 : created.length, not_created: errors.length + (dryRun ? created.length : 0), valid: created.length, invalid: errors.length };
        return [200, { ...(created.length ? { data: created } : {}), meta: { sent, summary }, ...(errors.length ? { errors } : {}) }];
      }
      const del = (body.delete ?? {}) as { ids?: unknown; values?: unknown };
      const ids = Array.isArray(del.ids) ? del.ids.map(String) : [];
      const values = Array.isArray(del.values) ? del.values.map(String) : [];
      if (ids.length + values.length === 0) throw invalid('QueryParamInvalid', 'delete takes ids or values');
      let deleted = 0;
      for (const want of [...ids.map((i) => ({ id: i })), ...values.map((v) => ({ value: v }))]) {
        const found = [...x.streamRules.values()].find((r) => ('id' in want ? r.id === want.id : r.value === want.value));
        if (!found) {
          errors.push({ ...want, title: 'RuleNotFound', detail: `No rule ${'id' in want ? want.id : want.value}`, type: 'https://api.x.com/2/problems/resource-not-found' });
          continue;
        }
        if (!dryRun) x.streamRules.delete(found.id);
        deleted++;
      }
      return [200, { meta: { sent, summary: { deleted, not_deleted: errors.length } }, ...(errors.length ? { errors } : {}) }];
    }),
  ];
}
