/**
 * X's filtered-stream webhooks (Enterprise): a link from the app's filtered stream to a webhook
 * (POST / DELETE /2/tweets/search/webhooks/:webhook_id, GET /2/tweets/search/webhooks) and the
 * filtered-stream rules that decide which Posts are delivered (GET / POST
 * /2/tweets/search/stream/rules). All with the app bearer token. The answers' shapes and where
 * X's pages and its spec differ are read here, so the client stays a list of calls.
 */

type Obj = Record<string, unknown>;

/** X's ids in paths: 1 to 19 digits (the spec's pattern for webhook_id and rule ids). */
export const X_ID = /^[0-9]{1,19}$/;

/** A webhook linked to the app's filtered stream (GetWebhooksStreamLinksResponse's data). */
export interface StreamLink {
  webhook_id: string;
  /** The fields the link asked for (X renders them as "user.fields=username", ...). */
  fields: string[];
  application_id?: string;
  business_user_id?: string;
  /** X's id of the filtered-stream instance. */
  instance_id?: string;
  created_at?: string;
}

/** The query parameters a link may take, as for GET /2/tweets/search/stream (X's quickstart). */
export const STREAM_LINK_FIELDS = ['expansions', 'tweet.fields', 'user.fields', 'media.fields', 'poll.fields', 'place.fields'] as const;
export type StreamLinkFields = Partial<Record<(typeof STREAM_LINK_FIELDS)[number], string>>;

/** A filtered-stream rule. */
export interface StreamRule {
  id: string;
  value: string;
  tag?: string;
}

export interface StreamRuleInput {
  value: string;
  tag?: string;
}

/** What X answered to adding or deleting rules: the rules it took, and per rule why not. */
export interface StreamRulesChange {
  rules: StreamRule[];
  /** X's meta.summary ({created, not_created, valid, invalid} or {deleted, not_deleted}). */
  summary: Record<string, unknown>;
  problems: string[];
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : null;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The links of GET /2/tweets/search/webhooks. X's spec has `data` as the list; X's quickstart
 * shows `data: {links: [...]}`: both are read.
 */
export function parseStreamLinks(json: unknown): StreamLink[] {
  const d = isObj(json) ? json.data : undefined;
  const list = Array.isArray(d) ? d : isObj(d) && Array.isArray(d.links) ? d.links : [];
  return list.filter(isObj).map((l) => {
    const link: StreamLink = { webhook_id: str(l.webhook_id) ?? '', fields: Array.isArray(l.fields) ? l.fields.map(String) : [] };
    for (const k of ['application_id', 'business_user_id', 'instance_id', 'created_at'] as const) {
      const v = str(l[k]);
      if (v !== null) link[k] = v;
    }
    return link;
  });
}

/** A webhook id as X's paths take it, or an error saying what one looks like. */
export function checkWebhookId(id: string): string {
  if (!X_ID.test(id)) throw new Error(`not a webhook id: "${id}" (webhook ids are numbers of up to 19 digits, see \`xaa webhooks list\`)`);
  return id;
}

/** The query of a link: only the parameters X's streaming endpoint takes, comma-separated lists without spaces. */
export function linkQuery(fields: StreamLinkFields = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (!(STREAM_LINK_FIELDS as readonly string[]).includes(k)) throw new Error(`a stream link takes ${STREAM_LINK_FIELDS.join(', ')}, not ${k}`);
    if (v === undefined) continue;
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw new Error(`${k} is empty: give a comma-separated list, e.g. ${k === 'expansions' ? 'author_id' : 'username,name'}`);
    out[k] = list.join(',');
  }
  return out;
}

/** The rules of GET /2/tweets/search/stream/rules (or of an add's answer). */
export function parseStreamRules(data: unknown): StreamRule[] {
  return (Array.isArray(data) ? data : []).filter(isObj).map((r) => {
    const rule: StreamRule = { id: str(r.id) ?? '', value: str(r.value) ?? '' };
    const tag = str(r.tag);
    if (tag !== null) rule.tag = tag;
    return rule;
  });
}

/** X's per-rule problems (an invalid or duplicate rule: `errors[]` beside `data`), in words. */
export function ruleProblems(json: unknown): string[] {
  const errors = isObj(json) && Array.isArray(json.errors) ? json.errors : [];
  return errors.filter(isObj).map((e) => {
    const what = [str(e.title), str(e.detail) ?? str(e.message)].filter(Boolean).join(': ') || JSON.stringify(e).slice(0, 200);
    const value = str(e.value);
    return value ? `${value}: ${what}` : what;
  });
}

/** X's limits on a rule (its filtered-stream pages): 1 to 2,048 characters (Enterprise). */
export function checkRule(input: StreamRuleInput): StreamRuleInput {
  const value = input.value.trim();
  if (value.length === 0) throw new Error('a rule needs a value, e.g. "coffee -is:retweet"');
  if (value.length > 2048) throw new Error(`a rule is at most 2,048 characters; this one has ${value.length}`);
  return input.tag !== undefined ? { value, tag: input.tag } : { value };
}
