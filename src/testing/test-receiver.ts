import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { handlerOptionsVariable } from '../config/index.js';
import { startReceiver, type Receiver } from '../embed/receiver.js';
import { isModulePath } from '../plugins/loader.js';
import { sign, SIGNATURE_HEADER } from '../receiver/signature.js';
import { getEvent, listEvents, type EventDetail } from '../store/index.js';
import { newActivity, SAMPLE_FORMATS, sampleBody, type Activity, type SampleFormat, type SampleType } from './samples.js';

/**
 * A real receiver for a handler's tests: a fresh SQLite file in a temporary folder (migrated),
 * the handler plugins loaded as `xaa serve` loads HANDLERS (TypeScript through the project's
 * tsx), its dispatcher running, and an HTTP server on 127.0.0.1 at a free port. Deliveries go in
 * signed, over HTTP, as X sends them; the handlers' effects come out.
 */

export interface TestReceiverOptions {
  /** HANDLERS entries: module paths (relative to `cwd`) or package names. */
  handlers: string | readonly string[];
  /** Plugin options by plugin name, as HANDLER_OPTIONS_<NAME> would carry them (JSON-serializable). */
  options?: Record<string, unknown>;
  /** More settings, as the environment variables of `xaa serve` (DISPATCH_RETRY_SCHEDULE, LOG_LEVEL, X_API_BASE_URL, ...). */
  env?: Record<string, string>;
  /** Where relative handler paths start (default: the working directory). */
  cwd?: string;
}

export interface SampleDeliveryOptions {
  /** The envelope: AAA (the default where X has one), XAA, or filtered_stream (post.match). */
  format?: SampleFormat;
  /** The subscribed user the activity is delivered for (default 2244994945). */
  forUserId?: string;
  /** The other party: the author, follower, liker, the DM's sender (default 1375036644). */
  otherUserId?: string;
  /** The post's or the DM's text. */
  text?: string;
  /** DMs: who wrote it (the subscribed user for a DM it sent). */
  senderId?: string;
  /** post.match: the filtered-stream rules it matched (ids generated where missing; default one tagged "sample"). */
  rules?: Array<{ id?: string; tag?: string }>;
  /**
   * Which kind of the type (SAMPLE_VARIANTS): for post.create the subscribed user's role,
   * 'mentioned' (the default), 'author', 'replied_to', 'quoted' or 'reposted'; the field of a
   * profile.update... (SAMPLE_VARIANTS lists them).
   */
  variant?: string;
}

export interface SampleDelivery {
  /** The activity as generated: its `id` is X's id of the post, DM, like. */
  activity: Activity;
  format: SampleFormat;
  /** The exact bytes posted. */
  body: string;
  /** The receiver's answer (200: committed). */
  status: number;
}

/** A stored event with its handler runs (plugin name, state, attempts, last error) and dead letters. */
export type HandledEvent = EventDetail;

export interface TestReceiver {
  /** The webhook URL (http://127.0.0.1:<port>/webhook). */
  readonly url: string;
  /** The consumer secret deliveries are signed with. */
  readonly consumerSecret: string;
  /** The SQLite database (file:...), removed by close(). */
  readonly databaseUrl: string;
  /** The receiver itself (configuration, database, logger). */
  readonly receiver: Receiver;
  /** Signs a fresh sample activity of `type` (new ids: a new event) and posts it; throws unless answered 200. */
  deliver(type: SampleType, options?: SampleDeliveryOptions): Promise<SampleDelivery>;
  /** Posts `body` as a delivery, signed with the consumer secret unless `signature` is given (null: no signature header). */
  post(body: string | Uint8Array, options?: { signature?: string | null; contentType?: string }): Promise<Response>;
  /**
   * Waits until every stored event has been through its handlers: each is `done`, `dead`, or
   * `failing` (a handler threw and a retry is scheduled); resolves with them, oldest first.
   * Rejects after `timeoutMs` (default 15 s) naming the events still waiting.
   */
  waitForHandlers(options?: { timeoutMs?: number }): Promise<HandledEvent[]>;
  /** Every stored event with its handler runs, oldest first. */
  events(): Promise<HandledEvent[]>;
  /** Stops the receiver (running handlers finish), closes the server, deletes the database. */
  close(): Promise<void>;
}

/** The variables of the surrounding environment a receiver needs to run its tools; nothing that configures it. */
const SYSTEM_VARIABLES = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SystemRoot', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA'];

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) if (env[name] !== undefined) out[name] = env[name]!;
  return out;
}

const SETTLED = new Set(['done', 'dead', 'failing']);

export async function startTestReceiver(options: TestReceiverOptions): Promise<TestReceiver> {
  const cwd = options.cwd ?? process.cwd();
  const handlers = (typeof options.handlers === 'string' ? [options.handlers] : [...options.handlers]).map((h) =>
    // Every module path, as the loader tells them (src/handlers/x.ts too), not only ./ ones.
    isModulePath(h) ? path.resolve(cwd, h) : h,
  );
  if (handlers.length === 0) throw new Error('startTestReceiver: name at least one handler module in `handlers`');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-test-receiver-'));
  const databaseUrl = `file:${path.join(dir, 'receiver.db')}`;
  const consumerSecret = options.env?.X_CONSUMER_SECRET ?? randomBytes(24).toString('base64url');
  const pluginOptions = Object.fromEntries(
    Object.entries(options.options ?? {}).map(([name, value]) => [handlerOptionsVariable(name), JSON.stringify(value)]),
  );
  const env: Record<string, string> = {
    ...pick(process.env, SYSTEM_VARIABLES),
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    X_CONSUMER_SECRET: consumerSecret,
    HANDLERS: handlers.join(','),
    DISPATCH_IN_SERVER: 'true',
    ...pluginOptions,
    ...options.env,
  };

  let receiver: Receiver;
  try {
    receiver = await startReceiver(env, { migrate: true });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const server = http.createServer(receiver.handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${receiver.config.webhookPath}`;

  const post: TestReceiver['post'] = (body, o = {}) => {
    const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/json' };
    const signature = o.signature === undefined ? sign(consumerSecret, body) : o.signature;
    if (signature !== null) headers[SIGNATURE_HEADER] = signature;
    return fetch(url, { method: 'POST', headers, body });
  };

  const events = async (): Promise<HandledEvent[]> => {
    const summaries = await listEvents(receiver.db.prisma, { limit: 10_000 });
    const details = await Promise.all(summaries.reverse().map((e) => getEvent(receiver.db.prisma, e.id)));
    return details.filter((d): d is EventDetail => d !== null);
  };

  let closed: Promise<void> | undefined;
  return {
    url,
    consumerSecret,
    databaseUrl,
    receiver,
    post,
    events,
    async deliver(type, o = {}) {
      const format = o.format ?? SAMPLE_FORMATS[type][0]!;
      const activity = newActivity(type, o.forUserId ?? '2244994945', {
        ...(o.otherUserId ? { otherUserId: o.otherUserId } : {}),
        ...(o.text ? { text: o.text } : {}),
        ...(o.senderId ? { senderId: o.senderId } : {}),
        ...(o.rules ? { rules: o.rules } : {}),
        ...(o.variant !== undefined ? { variant: o.variant } : {}),
      });
      const body = sampleBody(activity, format);
      const res = await post(body);
      const answer = await res.text();
      if (res.status !== 200) throw new Error(`the receiver answered ${res.status} to a signed ${type} (${format}) delivery: ${answer.slice(0, 300)}`);
      return { activity, format, body, status: res.status };
    },
    async waitForHandlers(o = {}) {
      const timeoutMs = o.timeoutMs ?? 15_000;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const all = await events();
        const waiting = all.filter((e) => !SETTLED.has(e.status));
        if (all.length > 0 && waiting.length === 0) return all;
        if (Date.now() > deadline) {
          throw new Error(
            all.length === 0
              ? `no event was stored within ${timeoutMs} ms: deliver one first`
              : `handlers did not run within ${timeoutMs} ms for ${waiting.length} event(s): ` +
                  waiting.map((e) => `${e.type} ${e.id} (${e.status}; runs: ${e.runs.map((r) => `${r.handler} ${r.state}`).join(', ') || 'none'})`).join('; '),
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close() {
      return (closed ??= (async () => {
        try {
          await receiver.stop(() => new Promise<void>((resolve) => server.close(() => resolve())));
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      })());
    },
  };
}
