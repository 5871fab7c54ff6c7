#!/usr/bin/env node
// Writes src/events/xaa-catalog.generated.ts: the X Activity API (XAA) event types X documents, with the
// facts X states about each, derived from X's own published sources (the idea of octokit/webhooks.js, which
// generates GitHub's event names and payload types from GitHub's schemas): a new type X documents is one
// regenerated file away.
//
// Usage (from the repository root):
//   node scripts/x-spec/generate-catalog.mjs <openapi.json> <introduction.mdx> [--check] [--out <file>]
// where both files come from the public GitHub repository xdevplatform/docs:
//   openapi.json                      the OpenAPI spec (names, alias, payload schemas, OAuth 2.0 scopes)
//   x-api/activity/introduction.mdx   the XAA page (filters per type, public and private events)
// e.g. `git clone --depth 1 https://github.com/xdevplatform/docs /tmp/x-docs` then
//   node scripts/x-spec/generate-catalog.mjs /tmp/x-docs/openapi.json /tmp/x-docs/x-api/activity/introduction.mdx
// `--check` writes nothing and exits 1 when the committed file differs from what the sources give;
// `--out` writes elsewhere than src/events/xaa-catalog.generated.ts (the tests use it).
//
// The parsing is strict: when X's text no longer has the shape read here, the script stops naming what it
// could not find, rather than writing a catalog that silently lost facts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const defaultOutPath = path.join(root, 'src', 'events', 'xaa-catalog.generated.ts');

function fail(message) {
  process.stderr.write(`generate-catalog: ${message}\n`);
  process.exit(1);
}

function sha256(text) {
  return crypto.createHash('sha256').update(text).digest('hex');
}

// ---- the OpenAPI spec --------------------------------------------------------------------------------

export function readSpec(specText) {
  let spec;
  try {
    spec = JSON.parse(specText);
  } catch (error) {
    fail(`the spec is not JSON: ${error.message}`);
  }
  const schemas = spec?.components?.schemas ?? {};
  const request = schemas.CreateActivitySubscriptionRequest;
  const eventType = request?.properties?.event_type;
  if (!Array.isArray(eventType?.enum)) {
    fail('components.schemas.CreateActivitySubscriptionRequest.properties.event_type.enum not found');
  }
  const names = eventType.enum.map(String);

  // "`chat.conversation_join` is a deprecated alias of `chat.conversation.join`"
  const aliases = {};
  for (const m of String(eventType.description ?? '').matchAll(/`([a-z_.]+)` is a deprecated alias of `([a-z_.]+)`/g)) {
    aliases[m[1]] = m[2];
  }

  // Payload schema per type: the discriminator of the activity payload.
  const payload = schemas.ActivityStreamingResponsePayload;
  const mapping = payload?.discriminator?.mapping;
  if (!mapping) fail('components.schemas.ActivityStreamingResponsePayload.discriminator.mapping not found');
  const payloadSchema = {};
  for (const [type, ref] of Object.entries(mapping)) payloadSchema[type] = String(ref).split('/').pop();

  // OAuth 2.0 scope per type, from the create operation's description:
  // "... the scope matching the requested event_type: dm.read for chat.* and dm.* events, like.read for
  //  like.* events, ..., and tweet.read for all other event types."
  const create = spec.paths?.['/2/activity/subscriptions']?.post;
  const createText = String(create?.description ?? '');
  const scopeRules = [];
  let defaultScope = null;
  const scopeClause = createText.match(/event_type:(.*?)\.(\s|$)/s);
  if (!scopeClause) fail('POST /2/activity/subscriptions: the scope-per-event_type sentence was not found');
  for (const part of scopeClause[1].split(/,\s*(?:and\s+)?/)) {
    const m = part.trim().match(/^([a-z_.]+) for (.+)$/);
    if (!m) continue;
    if (/all other event types/.test(m[2])) {
      defaultScope = m[1];
      continue;
    }
    for (const p of m[2].matchAll(/([a-z_]+)\.\*/g)) scopeRules.push({ prefix: `${p[1]}.`, scope: m[1] });
  }
  if (!defaultScope || scopeRules.length === 0) fail('POST /2/activity/subscriptions: could not read the scopes per event type');

  // Actor-only types (mute.*, block.*): "filter.user_id must identify the authenticated user and direction is
  // not supported", from the create filter's schema.
  const filter = schemas.CreateActivitySubscriptionFilter?.properties ?? {};
  const actorOnlyPrefixes = [
    ...String(filter.user_id?.description ?? '').matchAll(/([a-z_]+)\.\*/g),
  ].map((m) => `${m[1]}.`);
  const noDirectionPrefixes = [
    ...String(filter.direction?.description ?? '').matchAll(/([a-z_]+)\.\*/g),
  ].map((m) => `${m[1]}.`);
  const filterFields = Object.keys(filter);
  if (filterFields.length === 0) fail('components.schemas.CreateActivitySubscriptionFilter has no properties');

  return { spec, schemas, names, aliases, payloadSchema, scopeRules, defaultScope, actorOnlyPrefixes, noDirectionPrefixes, filterFields };
}

// ---- the introduction page ------------------------------------------------------------------------------

export function readIntroduction(text) {
  // Tables "| `type` | description | `user_id`, `direction` |" (or "none").
  const filters = {};
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5) continue;
    const name = cells[1].match(/^`([a-z_.]+)`$/);
    if (!name) continue;
    const last = cells[cells.length - 2];
    filters[name[1]] = last === 'none' ? [] : [...last.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
  }
  if (Object.keys(filters).length === 0) fail('introduction: no event type tables found');

  function bulletList(heading) {
    const start = text.indexOf(heading);
    if (start < 0) fail(`introduction: "${heading}" not found`);
    const rest = text.slice(start + heading.length).split('\n');
    const items = [];
    let begun = false;
    for (const line of rest) {
      if (line.startsWith('- ')) {
        items.push(line.slice(2));
        begun = true;
      } else if (begun && line.trim() !== '') break;
    }
    if (items.length === 0) fail(`introduction: the list under "${heading}" is empty`);
    return items;
  }
  const publicItems = bulletList('**Current public events:**');
  const privateItems = bulletList('**Current private events:**');
  return { filters, publicItems, privateItems };
}

// ---- combining them ---------------------------------------------------------------------------------------

function familyOf(name) {
  const family = name.split('.')[0];
  return family;
}

export function buildCatalog(specFacts, intro) {
  const { names, aliases, payloadSchema, scopeRules, defaultScope, actorOnlyPrefixes, noDirectionPrefixes } = specFacts;
  const access = {};
  const docScope = {};
  // "Mutes (`mute.mute`, `mute.unmute`) — requires the `mute.read` scope": the names are before the dash.
  const itemsNames = (item) =>
    [...item.split(/\s[—-]\s/)[0].matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]).filter((n) => n.includes('.'));
  for (const item of intro.publicItems) {
    let listed = itemsNames(item);
    // "Profile updates (bio, picture, banner, location, URL, username changes)" names no type: it is the family.
    if (listed.length === 0 && /^Profile updates\b/i.test(item)) listed = names.filter((n) => n.startsWith('profile.update.'));
    if (listed.length === 0) fail(`introduction: public event "${item}" names no event type`);
    for (const n of listed) access[n] = 'public';
  }
  for (const item of intro.privateItems) {
    const listed = itemsNames(item);
    if (listed.length === 0) fail(`introduction: private event "${item}" names no event type`);
    const scope = item.match(/requires the `([a-z_.]+)` scope/);
    for (const n of listed) {
      access[n] = 'private';
      if (scope) docScope[n] = scope[1];
    }
  }

  const entries = [];
  for (const name of names) {
    const canonical = aliases[name] ?? name;
    const scope = scopeRules.find((r) => canonical.startsWith(r.prefix))?.scope ?? defaultScope;
    // The page may list a type under its deprecated alias only (chat.conversation_join).
    const spellings = [name, canonical, ...Object.keys(aliases).filter((a) => aliases[a] === canonical)];
    const documentedFilters = spellings.map((n) => intro.filters[n]).find(Boolean) ?? null;
    const actorOnly = actorOnlyPrefixes.some((p) => canonical.startsWith(p));
    const direction = documentedFilters
      ? documentedFilters.includes('direction')
      : false;
    if (direction && noDirectionPrefixes.some((p) => canonical.startsWith(p))) {
      fail(`${name}: the introduction gives it a direction filter the spec says it does not support`);
    }
    entries.push({
      name,
      aliasOf: aliases[name] ?? null,
      family: familyOf(canonical),
      payloadSchema: payloadSchema[canonical] ?? null,
      filters: documentedFilters ?? ['user_id'],
      filtersDocumented: documentedFilters !== null,
      direction,
      actorOnly,
      access: spellings.map((n) => access[n]).find(Boolean) ?? 'unstated',
      oauth2Scope: scope,
      docScope: spellings.map((n) => docScope[n]).find(Boolean) ?? null,
    });
  }
  // Types the page documents as delivered that are not subscribable through the enum (oauth.revoke).
  const deliveredOnly = Object.keys(intro.filters).filter((n) => !names.includes(n));
  return { entries, deliveredOnly };
}

// ---- payload types from the spec's schemas ----------------------------------------------------------------

function tsName(schemaName) {
  return `XaaSpec${schemaName}`;
}

function toTs(schema, refs, indent) {
  if (!schema || typeof schema !== 'object') return 'unknown';
  if (schema.$ref) {
    const name = String(schema.$ref).split('/').pop();
    refs.add(name);
    return tsName(name);
  }
  if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) {
    return (schema.oneOf ?? schema.anyOf).map((s) => toTs(s, refs, indent)).join(' | ');
  }
  if (Array.isArray(schema.allOf)) return schema.allOf.map((s) => toTs(s, refs, indent)).join(' & ');
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `Array<${toTs(schema.items, refs, indent)}>`;
    case 'object':
    case undefined: {
      const props = schema.properties;
      if (!props || Object.keys(props).length === 0) return 'Record<string, unknown>';
      const required = new Set(schema.required ?? []);
      const pad = '  '.repeat(indent + 1);
      const lines = Object.entries(props).map(([key, value]) => {
        const doc = value?.description ? `${pad}/** ${String(value.description).replace(/\*\//g, '* /').replace(/\s+/g, ' ').trim()} */\n` : '';
        const k = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
        return `${doc}${pad}${k}${required.has(key) ? '' : '?'}: ${toTs(value, refs, indent + 1)};`;
      });
      return `{\n${lines.join('\n')}\n${'  '.repeat(indent)}}`;
    }
    default:
      return 'unknown';
  }
}

function renderSchemas(schemas, roots) {
  const done = new Set();
  const out = [];
  const queue = [...new Set(roots)];
  while (queue.length > 0) {
    const name = queue.shift();
    if (done.has(name)) continue;
    done.add(name);
    const schema = schemas[name];
    if (!schema) fail(`schema ${name} is referenced but not defined`);
    const refs = new Set();
    const body = toTs(schema, refs, 0);
    const doc = schema.description ? `/** ${String(schema.description).replace(/\*\//g, '* /').replace(/\s+/g, ' ').trim()} */\n` : '';
    out.push(body.startsWith('{') ? `${doc}export interface ${tsName(name)} ${body}` : `${doc}export type ${tsName(name)} = ${body};`);
    for (const r of [...refs].sort()) if (!done.has(r)) queue.push(r);
  }
  return out.join('\n\n');
}

// ---- output -------------------------------------------------------------------------------------------------

export function render({ specText, introText }) {
  const specFacts = readSpec(specText);
  const intro = readIntroduction(introText);
  const { entries, deliveredOnly } = buildCatalog(specFacts, intro);
  const payloadRoots = [...new Set(entries.map((e) => e.payloadSchema).filter(Boolean))].sort();

  const list = entries.map((e) => `  ${JSON.stringify(e.name)},`).join('\n');
  const catalog = entries
    .map((e) => {
      const facts = [
        `aliasOf: ${JSON.stringify(e.aliasOf)}`,
        `family: ${JSON.stringify(e.family)}`,
        `payloadSchema: ${JSON.stringify(e.payloadSchema)}`,
        `filters: ${JSON.stringify(e.filters)}`,
        `filtersDocumented: ${e.filtersDocumented}`,
        `direction: ${e.direction}`,
        `actorOnly: ${e.actorOnly}`,
        `access: ${JSON.stringify(e.access)}`,
        `oauth2Scope: ${JSON.stringify(e.oauth2Scope)}`,
        `docScope: ${JSON.stringify(e.docScope)}`,
      ];
      return `  ${JSON.stringify(e.name)}: { ${facts.join(', ')} },`;
    })
    .join('\n');
  const aliases = entries
    .filter((e) => e.aliasOf)
    .map((e) => `  ${JSON.stringify(e.name)}: ${JSON.stringify(e.aliasOf)},`)
    .join('\n');
  const payloadMap = entries
    .filter((e) => e.payloadSchema)
    .map((e) => `  ${JSON.stringify(e.name)}: ${tsName(e.payloadSchema)};`)
    .join('\n');

  return `// GENERATED by scripts/x-spec/generate-catalog.mjs: do not edit.
// Sources, both from the public GitHub repository xdevplatform/docs:
//   openapi.json                      sha256 ${sha256(specText)}
//   x-api/activity/introduction.mdx   sha256 ${sha256(introText)}
// Regenerate (from the repository root) with a fresh copy of both files:
//   node scripts/x-spec/generate-catalog.mjs <openapi.json> <introduction.mdx>
// and check the diff: a new name here is a new documented event type (give it a canonical
// type in src/normalize/envelope/xaa-map.ts: \`npm run typecheck\` fails until every name has one).
/* eslint-disable */

/** The event types X's spec enumerates for XAA subscriptions (POST /2/activity/subscriptions), aliases included. */
export const XAA_EVENT_TYPES = [
${list}
] as const;

export type XaaEventType = (typeof XAA_EVENT_TYPES)[number];

/** Deprecated names X still accepts, and the name X answers with instead. */
export const XAA_EVENT_TYPE_ALIASES = {
${aliases}
} as const satisfies Partial<Record<XaaEventType, XaaEventType>>;

/** Types X documents as delivered that cannot be subscribed to (they come without a subscription). */
export const XAA_DELIVERED_ONLY_TYPES = ${JSON.stringify(deliveredOnly)} as const;

export type XaaDeliveredOnlyType = (typeof XAA_DELIVERED_ONLY_TYPES)[number];

export interface XaaEventTypeFacts {
  /** The name X answers with when this one is a deprecated alias, else null. */
  readonly aliasOf: XaaEventType | null;
  /** The first segment of the (canonical) name: post, like, follow, profile, chat, dm, news, spaces, broadcast, mute, block. */
  readonly family: string;
  /** The spec's payload schema for this type (its activity payload discriminator), or null where the spec has none. */
  readonly payloadSchema: string | null;
  /** The subscription filter fields the XAA page lists for this type (['user_id'] when it lists none: see filtersDocumented). */
  readonly filters: readonly string[];
  /** False when X's page has no row for this type and filters is an assumption. */
  readonly filtersDocumented: boolean;
  /** The optional direction filter (inbound / outbound) applies. */
  readonly direction: boolean;
  /** filter.user_id must be the authenticated user (the actor), no direction (mute.*, block.*). */
  readonly actorOnly: boolean;
  /** public: an app-only bearer token may subscribe; private: the user's OAuth 2.0 authorization; unstated: X's page does not say. */
  readonly access: 'public' | 'private' | 'unstated';
  /** The OAuth 2.0 scope the spec requires of a user-context token subscribing to this type. */
  readonly oauth2Scope: string;
  /** The scope the XAA page names for this type where it names one (it can differ from the spec's, e.g. broadcast.chat). */
  readonly docScope: string | null;
}

/** What X documents about each event type. */
export const XAA_EVENT_CATALOG: { readonly [T in XaaEventType]: XaaEventTypeFacts } = {
${catalog}
};

/** The spec's payload type per event type, where the spec gives one. */
export interface XaaSpecPayloads {
${payloadMap}
}

// ---- The spec's payload schemas (its names, prefixed XaaSpec). Deliveries in X's doc samples differ in places
// (e.g. referenced_tweets / in_reply_to_tweet_id / liked_tweet_author_id where the spec says referenced_posts /
// tweet_author_id): read them leniently.

${renderSchemas(specFacts.schemas, payloadRoots)}
`;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const argv = process.argv.slice(2);
  const check = argv.includes('--check');
  const outAt = argv.indexOf('--out');
  if (outAt >= 0 && !argv[outAt + 1]) fail('--out needs a file');
  const outPath = outAt >= 0 ? path.resolve(argv[outAt + 1]) : defaultOutPath;
  const args = argv.filter((a, i) => a !== '--check' && (outAt < 0 || (i !== outAt && i !== outAt + 1)));
  if (args.length !== 2) fail('usage: generate-catalog.mjs <openapi.json> <introduction.mdx> [--check] [--out <file>]');
  const [specPath, introPath] = args;
  const read = (p) => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch (error) {
      fail(`cannot read ${p}: ${error.message}`);
    }
  };
  const text = render({ specText: read(specPath), introText: read(introPath) });
  const shown = path.relative(process.cwd(), outPath);
  if (check) {
    const current = fs.existsSync(outPath) ? fs.readFileSync(outPath, 'utf8') : '';
    if (current !== text) fail(`${shown} is stale: regenerate it`);
    process.stdout.write(`${shown} is up to date\n`);
  } else {
    fs.writeFileSync(outPath, text);
    process.stdout.write(`wrote ${shown}\n`);
  }
}
