import { XAA_EVENT_CATALOG } from '../../../events/xaa-catalog.generated.js';
import { canonicalEventType, closeEventTypes, isXaaEventType } from '../../../management/activity-rules.js';
import { snowflake } from '../../samples.js';
import { HttpError, INVALID, invalid } from '../errors.js';
import { route, type Route, type RouteContext } from '../server.js';
import type { XStandIn } from '../standin.js';
import type { ActivitySub } from '../types.js';

const ID = /^[0-9]{1,19}$/;

function forbidden(detail: string): HttpError {
  return new HttpError(403, { title: 'Forbidden', detail, type: 'https://api.x.com/2/problems/not-authorized-for-resource', status: 403 });
}

/**
 * XAA activity subscriptions as X's spec has them:
 * - POST (app bearer, OAuth 2.0 or OAuth 1.0a user context): event_type from the spec's enum
 *   (the deprecated alias is answered with its canonical name), filter with user_id / keyword /
 *   direction as each type takes them (no other keys), tag 1-200 characters, webhook_id optional
 *   (without it the subscription feeds the persistent stream only). Public event types (and those
 *   X's page does not classify) accept any of the credentials; private ones only the OAuth 2.0
 *   token of the user in filter.user_id, holding the type's scope (StandInUser.scopes). The
 *   spec lists OAuth 1.0a user context for the endpoint, but X's page says private events need
 *   the user's OAuth 2.0 authorization: the stand-in refuses OAuth 1.0a for them.
 * - GET (any of the three): every subscription of the app, max_results and pagination_token.
 * - PUT (app bearer): tag and webhook_id only. DELETE one, or many with ?ids= (app bearer).
 */
export function activityRoutes(x: XStandIn): Route[] {
  return [
    route('GET', '/2/activity/subscriptions', 'any', ({ url }) => {
      const max = url.searchParams.get('max_results');
      const size = max === null ? 100 : Number(max);
      if (!Number.isInteger(size) || size < 1 || size > 1000) throw invalid('QueryParamInvalid', 'max_results must be 1 to 1000');
      const token = url.searchParams.get('pagination_token');
      const offset = token === null ? 0 : Number.parseInt(token, 32);
      if (token !== null && (token.length < 16 || !Number.isInteger(offset))) throw invalid('QueryParamInvalid', 'pagination_token is invalid');
      const all = [...x.activitySubs.values()];
      const page = all.slice(offset, offset + size);
      const meta: Record<string, unknown> = { result_count: page.length };
      if (offset + size < all.length) meta.next_token = (offset + size).toString(32).padStart(16, '0');
      return [200, { data: page, meta }];
    }),
    route('POST', '/2/activity/subscriptions', 'any', (ctx) => createSubscription(x, ctx)),
    route('PUT', '/2/activity/subscriptions/:id', 'app', ({ params, body }) => {
      const sub = x.activitySubs.get(params[0]!);
      if (!sub) throw invalid('SubscriptionNotFound', `No activity subscription ${params[0]}`, 404);
      const extra = Object.keys(body).filter((k) => k !== 'tag' && k !== 'webhook_id');
      if (extra.length) throw invalid('QueryParamInvalid', `only tag and webhook_id can be changed, not ${extra.join(', ')}`);
      if (body.tag !== undefined) sub.tag = tag(body.tag);
      if (body.webhook_id !== undefined) sub.webhook_id = x.webhook(String(body.webhook_id)).id;
      sub.updated_at = x.now().toISOString();
      return [200, { data: { subscription: sub, total_subscriptions: x.activitySubs.size } }];
    }),
    route('DELETE', '/2/activity/subscriptions/:id', 'app', ({ params }) => {
      if (!x.activitySubs.delete(params[0]!)) throw invalid('SubscriptionNotFound', `No activity subscription ${params[0]}`, 404);
      return [200, { data: { deleted: true } }];
    }),
    route('DELETE', '/2/activity/subscriptions', 'app', ({ url }) => {
      const raw = url.searchParams.get('ids');
      const ids = raw === null ? [] : raw.split(',').filter(Boolean);
      if (ids.length < 1 || ids.length > 100 || !ids.every((i) => ID.test(i))) throw invalid('QueryParamInvalid', 'ids must be 1 to 100 comma-separated subscription ids');
      const data: Array<{ subscription_id: string; deleted: boolean }> = [];
      const errors: Array<{ subscription_id: string; reason: string; message: string }> = [];
      for (const id of ids) {
        if (x.activitySubs.delete(id)) data.push({ subscription_id: id, deleted: true });
        else errors.push({ subscription_id: id, reason: 'SubscriptionNotFound', message: `No activity subscription ${id}` });
      }
      return [200, { data, ...(errors.length ? { errors } : {}), meta: { total_subscriptions: x.activitySubs.size } }];
    }),
  ];
}

function tag(v: unknown): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > 200) throw invalid('QueryParamInvalid', 'tag must be a string of 1 to 200 characters');
  return v;
}

function createSubscription(x: XStandIn, { body, principal }: RouteContext): [number, unknown] {
  const extra = Object.keys(body).filter((k) => !['event_type', 'filter', 'tag', 'webhook_id'].includes(k));
  if (extra.length) throw invalid('QueryParamInvalid', `unknown field ${extra.join(', ')}`);
  const requested = typeof body.event_type === 'string' ? body.event_type : '';
  if (!isXaaEventType(requested)) {
    const close = closeEventTypes(requested);
    throw new HttpError(400, {
      ...INVALID,
      errors: [{ parameter: 'event_type', value: requested, message: `QueryParamInvalid: event_type must be one of the documented event types${close.length ? ` (close: ${close.join(', ')})` : ''}` }],
    });
  }
  const eventType = canonicalEventType(requested);
  const facts = XAA_EVENT_CATALOG[eventType];
  const f = body.filter;
  if (!f || typeof f !== 'object' || Array.isArray(f)) throw invalid('QueryParamInvalid', 'filter is required');
  const filter = f as Record<string, unknown>;
  for (const [k, v] of Object.entries(filter)) {
    if (!['user_id', 'keyword', 'direction'].includes(k)) throw invalid('QueryParamInvalid', `filter.${k} is not a filter`);
    if (typeof v !== 'string') throw invalid('QueryParamInvalid', `filter.${k} must be a string`);
    if (k === 'direction') {
      if (v !== 'inbound' && v !== 'outbound') throw invalid('QueryParamInvalid', 'filter.direction must be inbound or outbound');
      if (!facts.direction) throw invalid('QueryParamInvalid', `filter.direction is not supported for ${eventType}`);
    } else if (!facts.filters.includes(k)) throw invalid('QueryParamInvalid', `filter.${k} does not apply to ${eventType}`);
  }
  for (const k of facts.filters) if (k !== 'direction' && filter[k] === undefined) throw invalid('QueryParamInvalid', `filter.${k} is required for ${eventType}`);
  const userId = filter.user_id as string | undefined;
  if (userId !== undefined && !ID.test(userId)) throw invalid('QueryParamInvalid', 'filter.user_id must be a user id');

  if (facts.access === 'private' || facts.actorOnly) {
    const scope = facts.docScope ?? facts.oauth2Scope;
    if (principal?.label !== 'oauth2-user') {
      throw forbidden(`${eventType} is a private event: subscribe with the OAuth 2.0 user token of the user in filter.user_id, who authorized this app with the ${scope} scope`);
    }
    if (principal.userId !== userId) throw forbidden(`${eventType} is a private event: filter.user_id must be the authenticated user (${principal.userId})`);
    const user = x.users.find((u) => u.id === principal.userId);
    if (user?.scopes && !user.scopes.includes(scope)) throw forbidden(`${eventType} needs the ${scope} scope, which the user's token does not hold`);
  }

  let webhookId: string | undefined;
  if (body.webhook_id !== undefined) {
    if (typeof body.webhook_id !== 'string' || !ID.test(body.webhook_id)) throw invalid('QueryParamInvalid', 'webhook_id must be a webhook id');
    webhookId = x.webhook(body.webhook_id).id;
  }
  for (const s of x.activitySubs.values()) {
    if (s.event_type === eventType && s.webhook_id === webhookId && JSON.stringify(s.filter) === JSON.stringify(filter)) {
      throw invalid('DuplicateSubscriptionFailed', `A subscription for ${eventType} with this filter exists (${s.subscription_id})`, 409);
    }
  }
  if (x.activitySubs.size >= x.options.maxActivitySubscriptions) {
    throw invalid('SubscriptionLimitExceeded', `The app has ${x.activitySubs.size} of ${x.options.maxActivitySubscriptions} activity subscriptions`, 403);
  }
  const now = x.now().toISOString();
  const sub: ActivitySub = { subscription_id: snowflake(), event_type: eventType, filter, created_at: now, updated_at: now };
  if (webhookId) sub.webhook_id = webhookId;
  if (body.tag !== undefined) sub.tag = tag(body.tag);
  x.activitySubs.set(sub.subscription_id, sub);
  return [200, { data: { subscription: sub } }];
}
