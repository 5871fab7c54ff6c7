import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_RETRY_SCHEDULE, parseSchedule } from './durations.js';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';

export type DatabaseProvider = 'sqlite' | 'postgresql';

/** A configuration problem, worded as one line that names the variable and never its value. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables whose values are secrets: never printed, always redacted from logs. */
export const SECRET_VARIABLES = [
  'X_CONSUMER_SECRET',
  'X_CONSUMER_SECRET_PREVIOUS',
  'ADMIN_TOKEN',
  'X_BEARER_TOKEN',
  'X_ACCESS_TOKEN',
  'X_ACCESS_TOKEN_SECRET',
  'X_OAUTH2_USER_TOKEN',
] as const;

/** WEBHOOK_PATH when unset. */
export const DEFAULT_WEBHOOK_PATH = '/webhook';

const port = z.coerce.number().int().min(0).max(65535);

const schema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: port.default(3000).describe('a TCP port number (0-65535)'),
  HOST: z.string().min(1).default('0.0.0.0').describe('an interface address to listen on, such as 0.0.0.0 or 127.0.0.1'),
  DATABASE_URL: z
    .string()
    .default('file:./data/xaa.db')
    .describe('file:PATH (SQLite, absolute or relative to the working directory) or postgresql://user:pass@host:port/db'),
  X_CONSUMER_SECRET: z
    .string()
    .min(1)
    .optional()
    .describe("the X app's consumer secret (API secret), used for CRC answers and signature checks"),
  X_CONSUMER_SECRET_PREVIOUS: z
    .string()
    .min(1)
    .optional()
    .describe('the previous consumer secret, accepted for event signatures while the secret is rotated'),
  WEBHOOK_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024)
    .describe('the largest accepted delivery body in bytes, a whole number of at least 1024'),
  WEBHOOK_PATH: z
    .string()
    .regex(/^\/[A-Za-z0-9._~\-/]*$/)
    .default(DEFAULT_WEBHOOK_PATH)
    .describe('a URL path starting with /, such as /webhook'),
  ADMIN_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe('a token of at least 16 characters; required as a Bearer token by /metrics, and the login of /console'),
  CONSOLE_SESSION_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_080)
    .default(480)
    .describe('minutes a login to the operator console (/console) lasts, a whole number from 1 to 10080'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe(`one of ${LOG_LEVELS.join(', ')}`),
  SQLITE_SYNCHRONOUS: z
    .enum(['FULL', 'NORMAL'])
    .default('FULL')
    .describe('FULL (an acknowledged delivery survives a power loss) or NORMAL (survives a process crash only)'),
  MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('false')
    .describe('true (serve and worker apply pending database migrations before starting) or false (they refuse to start while migrations are pending)'),
  SQLITE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).default(1000).describe('milliseconds, a whole number'),
  SQLITE_MAX_SIZE_MB: z.coerce
    .number()
    .min(0)
    .default(0)
    .describe('the largest size of the SQLite database in MiB (PRAGMA max_page_count), 0 for no limit'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(16).describe('a whole number from 1 to 200'),
  HANDLERS: z
    .string()
    .default('')
    .describe('a comma-separated list of handler plugin module paths (relative to the working directory) or package names'),
  DISPATCH_IN_SERVER: z
    .enum(['true', 'false'])
    .default('true')
    .describe('true (the server also runs the dispatcher) or false (run `xaa worker` processes instead)'),
  DISPATCH_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8).describe('a whole number from 1 to 1000'),
  DISPATCH_PER_USER_ORDER: z
    .enum(['true', 'false'])
    .default('false')
    .describe('true (events of one subscribed user are handled one at a time, in order) or false'),
  DISPATCH_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_RETRY_SCHEDULE)
    .refine((v) => {
      try {
        return parseSchedule(v).length > 0;
      } catch {
        return false;
      }
    })
    .describe('comma-separated delays before each retry, such as 10s,1m,5m,30m,2h,5h,10h'),
  DISPATCH_LEASE_MS: z.coerce.number().int().min(100).default(30_000).describe('milliseconds, at least 100'),
  DISPATCH_POLL_MS: z.coerce.number().int().min(5).default(250).describe('milliseconds, at least 5'),
  // At most what a timer can wait (about 24.8 days): Node fires a longer one after 1 ms.
  DISPATCH_HANDLER_TIMEOUT_MS: z.coerce.number().int().min(0).max(2_147_483_647).default(60_000).describe('milliseconds up to 2147483647 (0: no limit)'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000).describe('milliseconds'),
  RETENTION_DAYS: z.coerce
    .number()
    .min(0)
    .default(7)
    .describe('days to keep raw deliveries and completed events (0 keeps everything)'),
  DEDUPE_WINDOW_DAYS: z.coerce
    .number()
    .min(5)
    .default(5)
    .describe('days to keep dedupe keys, at least 5 (the AAA replay window)'),
  DEDUPE_UNTIMED_KEY_DAYS: z.coerce
    .number()
    .min(0)
    .default(365)
    .describe('days to keep the dedupe key of a pruned event that has no time of its own (0 keeps them forever)'),
  RETENTION_UNHANDLED_DAYS: z.coerce
    .number()
    .min(0)
    .default(7)
    .describe('days to keep events that no handler has taken (0 keeps them until a handler does)'),
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(1000).default(3_600_000).describe('milliseconds between pruning runs, at least 1000'),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(30_000)
    .describe('milliseconds a client may take to send a whole request, at least 100'),
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .default(600)
    .describe('requests per minute per client address on routes other than the webhook, a whole number (0: no limit)'),
  WEBHOOK_BODY_BUDGET_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .optional()
    .describe(
      'bytes of delivery bodies held in memory at once across all requests, a whole number of at least WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES',
    ),
  WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .optional()
    .describe(
      'bytes of delivery bodies held in memory at once per client address, a whole number from WEBHOOK_MAX_BODY_BYTES to WEBHOOK_BODY_BUDGET_BYTES',
    ),
  WEBHOOK_MIN_UPLOAD_BYTES_PER_SECOND: z.coerce
    .number()
    .int()
    .min(0)
    .default(16_384)
    .describe('bytes per second a delivery body must at least arrive at, a whole number (0: no minimum)'),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1024).describe('a whole number of at least 1'),
  HTTP_MAX_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(0).default(256).describe('a whole number (0: no per-client limit)'),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5_000)
    .describe('milliseconds an idle kept-alive connection stays open, a whole number (0: none kept alive)'),
  // Deployment: who may tell the client's address, and HTTPS terminated by the server itself.
  TRUST_PROXY: z
    .string()
    .optional()
    .describe('false (default), the number of proxies in front of the server (such as 1), or a comma-separated list of their addresses and CIDR ranges'),
  TLS_CERT_FILE: z.string().min(1).optional().describe('the path of a PEM certificate chain file (with TLS_KEY_FILE)'),
  TLS_KEY_FILE: z.string().min(1).optional().describe('the path of a PEM private key file (with TLS_CERT_FILE)'),
  // X API (management: webhooks, subscriptions, replay; the `xaa` CLI and ctx.x in handlers).
  X_API_BASE_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/)
    // The shape above lets through hosts no URL can have (such as "http://[bad").
    .refine((value) => URL.canParse(value))
    .default('https://api.x.com')
    .describe('an http(s) URL without query, such as https://api.x.com'),
  X_BEARER_TOKEN: z.string().min(1).optional().describe("the X app's bearer token (app-only OAuth 2.0)"),
  X_CONSUMER_KEY: z.string().min(1).optional().describe("the X app's consumer key (API key), for OAuth 1.0a user context"),
  X_ACCESS_TOKEN: z.string().min(1).optional().describe("a user's OAuth 1.0a access token"),
  X_ACCESS_TOKEN_SECRET: z.string().min(1).optional().describe("a user's OAuth 1.0a access token secret"),
  X_OAUTH2_USER_TOKEN: z.string().min(1).optional().describe("a user's OAuth 2.0 access token (user context)"),
  X_WEBHOOK_ID: z.string().regex(/^\d{1,20}$/).optional().describe("the id of the app's webhook at X (digits)"),
  X_API_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000).describe('milliseconds, at least 100'),
  X_API_RETRIES: z.coerce.number().int().min(0).max(10).default(3).describe('a whole number from 0 to 10'),
  X_API_RATE_LIMIT_MAX_WAIT_MS: z.coerce.number().int().min(0).default(60_000).describe('milliseconds'),
  // The XAA persistent stream (GET /2/activity/stream): `xaa stream`, or `xaa serve` with XAA_STREAM=on.
  XAA_STREAM: z
    .enum(['on', 'off', 'true', 'false'])
    .default('off')
    .describe('on (xaa serve also consumes the XAA persistent stream) or off'),
  XAA_STREAM_IDLE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(30_000)
    .describe('milliseconds without a byte from the stream (X sends a keep-alive at least every 20 s) before it is dropped and reconnected, at least 100'),
  XAA_STREAM_BACKOFF_INITIAL_MS: z.coerce.number().int().min(1).default(5_000).describe('milliseconds, at least 1'),
  XAA_STREAM_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(320_000).describe('milliseconds, at least 1'),
  XAA_STREAM_RATE_LIMIT_MIN_WAIT_MS: z.coerce.number().int().min(0).default(60_000).describe('milliseconds'),
  XAA_STREAM_AUTH_RETRY_MS: z.coerce.number().int().min(1).default(900_000).describe('milliseconds, at least 1'),
});

type Raw = z.infer<typeof schema>;

export interface DatabaseConfig {
  provider: DatabaseProvider;
  /** For SQLite: `file:` + absolute path. For PostgreSQL: the URL as given. */
  url: string;
  /** Absolute path of the SQLite file (SQLite only). */
  file?: string;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
  /** SQLITE_MAX_SIZE_MB in bytes; 0: no limit (the disk is the limit). */
  sqliteMaxBytes: number;
  poolSize: number;
}

export interface Config {
  env: string;
  port: number;
  host: string;
  database: DatabaseConfig;
  /** MIGRATE_ON_START: serve and worker apply pending migrations first (as `--migrate` does). */
  migrateOnStart: boolean;
  /** Undefined unless set; the server refuses to start without it (see requireReceiver). */
  consumerSecret: string | undefined;
  /** Also accepted for event signatures (never for CRC answers) while the secret is rotated. */
  previousConsumerSecret: string | undefined;
  webhookPath: string;
  maxBodyBytes: number;
  /** Bearer token for /metrics and the console's login; unset = no /metrics route, no /console. */
  adminToken: string | undefined;
  /** The operator console (/console, present when ADMIN_TOKEN is set). */
  console: ConsoleConfig;
  logLevel: (typeof LOG_LEVELS)[number];
  dispatch: DispatchConfig;
  shutdownTimeoutMs: number;
  /** Longest time a client may take to send a whole request (HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Requests per minute per client address on every route but the webhook; 0 = no limit. */
  rateLimitPerMinute: number;
  /** Bounds on what clients can make the server hold: body bytes, upload rate, connections. */
  limits: LimitsConfig;
  /** TRUST_PROXY: which peers may tell the client's address in X-Forwarded-For (false: none). */
  trustProxy: TrustProxy;
  /** TLS_CERT_FILE and TLS_KEY_FILE (absolute paths): `xaa serve` serves HTTPS with them. */
  tls: TlsFiles | undefined;
  /** The X API client (management). */
  x: XApiConfig;
  retention: RetentionConfig;
  /** The XAA persistent stream consumer. */
  stream: StreamConfig;
}

export interface StreamConfig {
  /** XAA_STREAM: `xaa serve` also consumes the stream (`xaa stream` always does). */
  enabled: boolean;
  /** No byte for this long: the connection is dropped and reconnected (X's keep-alive comes at least every 20 s). */
  idleTimeoutMs: number;
  /** Reconnect backoff: exponential from the initial delay to the cap, each delay drawn at random below it (full jitter). */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** After a 429: at least this long (X: start at a minute), or until x-rate-limit-reset / Retry-After when later. */
  rateLimitMinWaitMs: number;
  /** After a 401 or 403 (the bearer token refused): the next try waits this long. */
  authRetryMs: number;
}

export interface ConsoleConfig {
  /** How long a console login lasts (CONSOLE_SESSION_MINUTES), in milliseconds. */
  sessionMs: number;
}

export interface LimitsConfig {
  /** Body bytes of deliveries in flight across all requests (WEBHOOK_BODY_BUDGET_BYTES). */
  bodyBudgetBytes: number;
  /** Body bytes in flight per client address (WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES). */
  bodyBudgetPerClientBytes: number;
  /** Slower bodies are cut off with 408 (WEBHOOK_MIN_UPLOAD_BYTES_PER_SECOND); 0: no minimum. */
  minUploadBytesPerSecond: number;
  /** Open connections at most; more are closed as they arrive (HTTP_MAX_CONNECTIONS). */
  maxConnections: number;
  /**
   * Open connections at most from one client address (an IPv6 address by its /64), peers that
   * TRUST_PROXY trusts excepted (HTTP_MAX_CONNECTIONS_PER_CLIENT); 0: no such limit.
   */
  maxConnectionsPerClient: number;
  /** How long an idle kept-alive connection stays open (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
}

/** Defaults of the body budget, sized for a 512 MB container (see the README's Security section). */
export const DEFAULT_BODY_BUDGET_BYTES = 64 * 1024 * 1024;
export const DEFAULT_BODY_BUDGET_PER_CLIENT_BYTES = 16 * 1024 * 1024;

/**
 * The body budget from its variables. Unset, the share per client is 16 MiB (or one largest
 * body, if larger) and the total 64 MiB (or one share, if larger); set, a share must hold one
 * largest body and the total one share, else no delivery of that size could ever be received.
 */
function bodyBudget(raw: Raw): Pick<LimitsConfig, 'bodyBudgetBytes' | 'bodyBudgetPerClientBytes'> {
  const perClient = raw.WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES ?? Math.max(DEFAULT_BODY_BUDGET_PER_CLIENT_BYTES, raw.WEBHOOK_MAX_BODY_BYTES);
  const total = raw.WEBHOOK_BODY_BUDGET_BYTES ?? Math.max(DEFAULT_BODY_BUDGET_BYTES, perClient);
  if (perClient < raw.WEBHOOK_MAX_BODY_BYTES) {
    throw new ConfigError(
      'WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES is invalid: expected at least WEBHOOK_MAX_BODY_BYTES (a client must be able to send one largest delivery)',
    );
  }
  if (total < perClient) {
    throw new ConfigError('WEBHOOK_BODY_BUDGET_BYTES is invalid: expected at least WEBHOOK_BODY_BUDGET_PER_CLIENT_BYTES');
  }
  return { bodyBudgetBytes: total, bodyBudgetPerClientBytes: perClient };
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface RetentionConfig {
  /** 0: keep everything. */
  days: number;
  dedupeWindowDays: number;
  /** Dedupe keys of pruned events without an activity time are kept this long after pruning; 0: forever. */
  untimedKeyDays: number;
  /** Events no handler has taken (pending, no handler run) are pruned after this many days; 0: never. */
  unhandledDays: number;
  intervalMs: number;
}

export interface XApiConfig {
  baseUrl: string;
  bearerToken: string | undefined;
  consumerKey: string | undefined;
  accessToken: string | undefined;
  accessTokenSecret: string | undefined;
  oauth2UserToken: string | undefined;
  /**
   * Per-user OAuth 2.0 user tokens, by user id, from X_OAUTH2_USER_TOKEN_<user id>: what XAA
   * subscriptions to a user's private event types are made with (see oauth2UserTokens()).
   */
  oauth2UserTokens: Record<string, string>;
  webhookId: string | undefined;
  timeoutMs: number;
  retries: number;
  /** Longest wait for a rate-limit window to reset before failing with the time to retry. */
  rateLimitMaxWaitMs: number;
}

export interface DispatchConfig {
  handlers: string[];
  /**
   * Options for handler plugins: the JSON value of each HANDLER_OPTIONS_<NAME> variable, by
   * variable name (see handlerOptionsVariable). The loader hands each plugin its own.
   */
  handlerOptions: Record<string, unknown>;
  inServer: boolean;
  concurrency: number;
  perUserOrder: boolean;
  retrySchedule: number[];
  leaseMs: number;
  pollMs: number;
  /** One attempt of a plugin's handlers on an event fails after this long; 0: no limit. */
  handlerTimeoutMs: number;
}

const HANDLER_OPTIONS = 'HANDLER_OPTIONS_';
const USER_TOKEN = /^X_OAUTH2_USER_TOKEN_(.+)$/;

/** Every X_OAUTH2_USER_TOKEN_<user id> variable (the user id: X's numeric id), by user id. */
function oauth2UserTokens(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const m = USER_TOKEN.exec(key);
    if (!m) continue;
    if (!/^\d{1,19}$/.test(m[1]!)) {
      throw new ConfigError(`${key} is invalid: the name must end in the numeric X user id the OAuth 2.0 user token belongs to, such as X_OAUTH2_USER_TOKEN_2244994945`);
    }
    out[m[1]!] = value;
  }
  return out;
}

/**
 * The variable that holds a plugin's options: HANDLER_OPTIONS_ and the plugin's name in upper
 * case, each run of other characters than letters and digits as one underscore
 * ("dm-auto-reply" -> HANDLER_OPTIONS_DM_AUTO_REPLY, "@acme/crm" -> HANDLER_OPTIONS_ACME_CRM).
 */
export function handlerOptionsVariable(pluginName: string): string {
  return HANDLER_OPTIONS + pluginName.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** Every HANDLER_OPTIONS_<NAME> variable, parsed as JSON (one line naming the variable when it is not). */
function handlerOptions(env: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(HANDLER_OPTIONS) || key.length === HANDLER_OPTIONS.length) continue;
    try {
      out[key] = JSON.parse(value);
    } catch {
      throw new ConfigError(`${key} is invalid: expected JSON (the options of the handler plugin it names), such as {"url":"https://example.com/hook"}`);
    }
  }
  return out;
}

/** String values under keys that name a secret (secret, token, password), anywhere in a JSON value. */
function secretLeaves(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) secretLeaves(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' && /secret|token|password/i.test(k)) out.push(v);
      else secretLeaves(v, out);
    }
  }
  return out;
}

/** Resolves DATABASE_URL: picks the provider and makes SQLite paths absolute. */
export function parseDatabaseUrl(value: string, cwd: string): Pick<DatabaseConfig, 'provider' | 'url' | 'file'> {
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid postgresql:// URL (expected postgresql://user:pass@host:port/db)');
    }
    if (!parsed.hostname) throw new ConfigError('DATABASE_URL has no host (expected postgresql://user:pass@host:port/db)');
    return { provider: 'postgresql', url: value };
  }
  if (/^file:/i.test(value)) {
    const file = value.slice('file:'.length).replace(/\?.*$/, '');
    if (!file || file.includes('\0')) throw new ConfigError('DATABASE_URL file: needs a path, such as file:./data/xaa.db');
    const absolute = path.resolve(cwd, file);
    return { provider: 'sqlite', url: `file:${absolute}`, file: absolute };
  }
  throw new ConfigError(
    'DATABASE_URL must be file:PATH (SQLite) or postgresql://user:pass@host:port/db (PostgreSQL); it has neither form',
  );
}

/**
 * A number setting's text: digits, and a fraction where the setting allows one. Not what
 * z.coerce (Number()) takes besides: blanks (" " is 0: a limit turned off, PORT 0 a random
 * port), signs, exponents, hex.
 */
const DECIMAL = /^\d+(\.\d+)?$/;

function isNumberSetting(setting: z.ZodType): boolean {
  let s: z.ZodType = setting;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.def.innerType as z.ZodType;
  return s instanceof z.ZodNumber;
}

/** Reads and validates the configuration. Throws ConfigError with one line on the first problem. */
export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): Config {
  // Empty strings count as unset, as in most twelve-factor tools.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  for (const [key, value] of Object.entries(cleaned)) {
    const setting = (schema.shape as Record<string, z.ZodType>)[key];
    if (setting && isNumberSetting(setting) && !DECIMAL.test(value!.trim())) {
      throw new ConfigError(`${key} is invalid: expected ${setting.description ?? 'a number'}`);
    }
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? 'configuration');
    const shape = (schema.shape as Record<string, z.ZodType>)[key];
    const expected = shape?.description ? `expected ${shape.description}` : issue.message;
    throw new ConfigError(`${key} is invalid: ${expected}`);
  }
  const raw: Raw = result.data;
  return {
    env: raw.NODE_ENV ?? 'development',
    port: raw.PORT,
    host: raw.HOST,
    database: {
      ...parseDatabaseUrl(raw.DATABASE_URL, cwd),
      sqliteSynchronous: raw.SQLITE_SYNCHRONOUS,
      busyTimeoutMs: raw.SQLITE_BUSY_TIMEOUT_MS,
      sqliteMaxBytes: Math.floor(raw.SQLITE_MAX_SIZE_MB * 1024 * 1024),
      poolSize: raw.DATABASE_POOL_SIZE,
    },
    migrateOnStart: raw.MIGRATE_ON_START === 'true',
    consumerSecret: raw.X_CONSUMER_SECRET,
    previousConsumerSecret: raw.X_CONSUMER_SECRET_PREVIOUS,
    webhookPath: raw.WEBHOOK_PATH,
    maxBodyBytes: raw.WEBHOOK_MAX_BODY_BYTES,
    adminToken: raw.ADMIN_TOKEN,
    console: { sessionMs: raw.CONSOLE_SESSION_MINUTES * 60_000 },
    logLevel: raw.LOG_LEVEL,
    dispatch: {
      handlers: raw.HANDLERS.split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      handlerOptions: handlerOptions(cleaned as Record<string, string>),
      inServer: raw.DISPATCH_IN_SERVER === 'true',
      concurrency: raw.DISPATCH_CONCURRENCY,
      perUserOrder: raw.DISPATCH_PER_USER_ORDER === 'true',
      retrySchedule: parseSchedule(raw.DISPATCH_RETRY_SCHEDULE),
      leaseMs: raw.DISPATCH_LEASE_MS,
      pollMs: raw.DISPATCH_POLL_MS,
      handlerTimeoutMs: raw.DISPATCH_HANDLER_TIMEOUT_MS,
    },
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    retention: {
      days: raw.RETENTION_DAYS,
      dedupeWindowDays: raw.DEDUPE_WINDOW_DAYS,
      untimedKeyDays: raw.DEDUPE_UNTIMED_KEY_DAYS,
      unhandledDays: raw.RETENTION_UNHANDLED_DAYS,
      intervalMs: raw.RETENTION_INTERVAL_MS,
    },
    requestTimeoutMs: raw.HTTP_REQUEST_TIMEOUT_MS,
    rateLimitPerMinute: raw.RATE_LIMIT_PER_MINUTE,
    limits: {
      ...bodyBudget(raw),
      minUploadBytesPerSecond: raw.WEBHOOK_MIN_UPLOAD_BYTES_PER_SECOND,
      maxConnections: raw.HTTP_MAX_CONNECTIONS,
      maxConnectionsPerClient: raw.HTTP_MAX_CONNECTIONS_PER_CLIENT,
      keepAliveTimeoutMs: raw.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    stream: {
      enabled: raw.XAA_STREAM === 'on' || raw.XAA_STREAM === 'true',
      idleTimeoutMs: raw.XAA_STREAM_IDLE_TIMEOUT_MS,
      backoffInitialMs: raw.XAA_STREAM_BACKOFF_INITIAL_MS,
      backoffMaxMs: Math.max(raw.XAA_STREAM_BACKOFF_MAX_MS, raw.XAA_STREAM_BACKOFF_INITIAL_MS),
      rateLimitMinWaitMs: raw.XAA_STREAM_RATE_LIMIT_MIN_WAIT_MS,
      authRetryMs: raw.XAA_STREAM_AUTH_RETRY_MS,
    },
    trustProxy: trustProxy(raw.TRUST_PROXY),
    tls: tlsFiles(raw.TLS_CERT_FILE, raw.TLS_KEY_FILE, cwd),
    x: {
      baseUrl: raw.X_API_BASE_URL.replace(/\/+$/, ''),
      bearerToken: raw.X_BEARER_TOKEN,
      consumerKey: raw.X_CONSUMER_KEY,
      accessToken: raw.X_ACCESS_TOKEN,
      accessTokenSecret: raw.X_ACCESS_TOKEN_SECRET,
      oauth2UserToken: raw.X_OAUTH2_USER_TOKEN,
      oauth2UserTokens: oauth2UserTokens(cleaned as Record<string, string>),
      webhookId: raw.X_WEBHOOK_ID,
      timeoutMs: raw.X_API_TIMEOUT_MS,
      retries: raw.X_API_RETRIES,
      rateLimitMaxWaitMs: raw.X_API_RATE_LIMIT_MAX_WAIT_MS,
    },
  };
}

function trustProxy(value: string | undefined): TrustProxy {
  try {
    return parseTrustProxy(value);
  } catch (error) {
    throw new ConfigError(`TRUST_PROXY is invalid: ${(error as Error).message}`);
  }
}

/** Both files or neither; relative paths against the working directory. Read by the server at startup. */
function tlsFiles(cert: string | undefined, key: string | undefined, cwd: string): TlsFiles | undefined {
  if (!cert && !key) return undefined;
  if (!cert) throw new ConfigError('TLS_CERT_FILE is required with TLS_KEY_FILE: set both (HTTPS) or neither (HTTP)');
  if (!key) throw new ConfigError('TLS_KEY_FILE is required with TLS_CERT_FILE: set both (HTTPS) or neither (HTTP)');
  return { certFile: path.resolve(cwd, cert), keyFile: path.resolve(cwd, key) };
}

/** What receiving webhooks needs on top of the base configuration. */
export function requireReceiver(config: Config): Config & { consumerSecret: string } {
  if (!config.consumerSecret) {
    throw new ConfigError(
      "X_CONSUMER_SECRET is required to receive webhooks: set it to the X app's consumer secret (API secret)",
    );
  }
  return config as Config & { consumerSecret: string };
}

/**
 * Every secret value the configuration holds: loggers scrub them from every line. Handler
 * options count under keys that name one (secret, token, password), as in the log redaction.
 */
export function secretValues(config: Config): Array<string | undefined> {
  return [
    ...Object.values(config.dispatch.handlerOptions).flatMap((v) => secretLeaves(v)),
    config.consumerSecret,
    config.previousConsumerSecret,
    config.adminToken,
    config.x.bearerToken,
    config.x.accessToken,
    config.x.accessTokenSecret,
    config.x.oauth2UserToken,
    ...Object.values(config.x.oauth2UserTokens),
  ];
}
