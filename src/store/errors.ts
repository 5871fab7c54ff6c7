import type { DatabaseConfig } from '../config/index.js';

/**
 * Database problems worded for people: one line that says what failed and where (the server's
 * host and port, or the SQLite file), names DATABASE_URL, and never prints a password.
 */
export class DatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

/** What a Prisma driver adapter reports (DriverAdapterError's cause), as far as this module reads it. */
interface AdapterCause {
  kind: string;
  host?: string;
  port?: number | string;
  user?: string;
  db?: string;
  table?: string;
  reason?: string;
  cause?: string;
  code?: string;
  message?: string;
  originalCode?: string;
  originalMessage?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/**
 * The error and what it wraps: Prisma's errors keep the adapter's error in meta.driverAdapterError,
 * and DriverAdapterError keeps the mapped driver error in `cause`.
 */
function chain(error: unknown): Obj[] {
  const out: Obj[] = [];
  const queue: unknown[] = [error];
  while (queue.length && out.length < 8) {
    const e = queue.shift();
    if (!isObj(e) || out.includes(e)) continue;
    out.push(e);
    const meta = e.meta;
    if (isObj(meta)) queue.push(meta.driverAdapterError);
    queue.push(e.cause);
  }
  return out;
}

function adapterCause(errors: Obj[]): AdapterCause | undefined {
  for (const e of errors) {
    if (e.name === 'DriverAdapterError' && isObj(e.cause) && typeof e.cause.kind === 'string') return e.cause as unknown as AdapterCause;
  }
  return undefined;
}

/** "host:port" of a postgresql:// URL (the port defaulting to PostgreSQL's 5432). */
function serverOf(config: DatabaseConfig | undefined, cause: AdapterCause | undefined): string {
  if (config?.provider === 'postgresql') {
    try {
      const u = new URL(config.url);
      if (u.hostname) return `${u.hostname}:${u.port || '5432'}`;
    } catch {
      // fall through to what the driver reported
    }
  }
  if (cause?.host) return cause.port ? `${cause.host}:${cause.port}` : cause.host;
  return 'the database server';
}

/** The database a postgresql:// URL names. */
function databaseOf(config: DatabaseConfig | undefined): string | undefined {
  if (config?.provider !== 'postgresql') return undefined;
  try {
    return decodeURIComponent(new URL(config.url).pathname.replace(/^\//, '')) || undefined;
  } catch {
    return undefined;
  }
}

/** Whitespace collapsed, Prisma's "Invalid `prisma.x()` invocation:" preamble and "Raw query failed" wrapper removed. */
function plain(message: string): string {
  let text = message.replace(/\s+/g, ' ').trim();
  const inner = /Message: `(.*)`\s*$/.exec(text);
  if (inner) text = inner[1]!;
  text = text.replace(/^Invalid `[^`]*` invocation:?\s*/, '');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/** Removes the URL, its password and any user:password@ of a URL from a text. */
export function redactDatabaseUrl(text: string, config?: Pick<DatabaseConfig, 'url'>): string {
  let out = text;
  if (config?.url) {
    out = out.split(config.url).join('DATABASE_URL');
    try {
      const u = new URL(config.url);
      for (const secret of new Set([u.password, safeDecode(u.password)])) {
        // Very short passwords would blank out ordinary words; the user:password@ rule below still applies.
        if (secret.length >= 3) out = out.split(secret).join('***');
      }
    } catch {
      // not a URL: nothing more to hide
    }
  }
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:***@');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function describeAdapterCause(c: AdapterCause, config: DatabaseConfig | undefined): string | undefined {
  const server = serverOf(config, c);
  const sqlite = config?.provider === 'sqlite';
  const where = sqlite ? `the SQLite database ${config!.file} (DATABASE_URL)` : `the database at DATABASE_URL`;
  switch (c.kind) {
    case 'DatabaseNotReachable':
      return `cannot reach the database server at ${server} (DATABASE_URL)`;
    case 'AuthenticationFailed':
      return `the database server at ${server} rejected the user${c.user ? ` "${c.user}"` : ''} and password of DATABASE_URL (authentication failed)`;
    case 'DatabaseDoesNotExist':
      return `the database "${c.db ?? databaseOf(config) ?? '?'}" does not exist on the server at ${server} (DATABASE_URL): create it, then run \`xaa db migrate\``;
    case 'DatabaseAccessDenied': {
      const db = c.db ?? databaseOf(config);
      return `the database server at ${server} denied access to the user of DATABASE_URL${db ? ` on the database "${db}"` : ''}${c.originalMessage ? `: ${plain(c.originalMessage)}` : ''}`;
    }
    case 'TlsConnectionError':
      return `cannot open a TLS connection to the database server at ${server} (DATABASE_URL): ${plain(c.reason ?? 'TLS error')}`;
    case 'SocketTimeout':
      return sqlite
        ? `${where} is locked by another connection and stayed locked longer than SQLITE_BUSY_TIMEOUT_MS`
        : `the database server at ${server} did not answer in time (DATABASE_URL)`;
    case 'ConnectionClosed':
      return `the database server at ${server} closed the connection (DATABASE_URL)`;
    case 'TooManyConnections':
      return `the database server at ${server} has too many connections open (DATABASE_POOL_SIZE sets this process's share): ${plain(c.cause ?? '')}`;
    case 'TableDoesNotExist':
      return `${where} has no table ${c.table ?? ''}: its migrations are not applied; run \`xaa db migrate\``.replace(/ {2,}/g, ' ');
    case 'postgres':
      return `the database server at ${server} answered: ${plain(c.message ?? c.originalMessage ?? 'an error')}${c.code && c.code !== 'N/A' ? ` (SQLSTATE ${c.code})` : ''}`;
    case 'sqlite':
      return sqliteProblem(c.originalCode ?? '', c.message ?? c.originalMessage ?? '', config);
    default:
      return undefined;
  }
}

function sqliteProblem(code: string, message: string, config: DatabaseConfig | undefined): string {
  const file = config?.file ?? 'the SQLite database';
  if (code === 'SQLITE_NOTADB' || /file is not a database/i.test(message)) return `${file} (DATABASE_URL) is not a SQLite database`;
  if (code.startsWith('SQLITE_CANTOPEN') || /unable to open database file/i.test(message)) {
    return `cannot open the SQLite database file ${file} (DATABASE_URL): unable to open database file`;
  }
  if (code.startsWith('SQLITE_READONLY') || /readonly database/i.test(message)) return `the SQLite database file ${file} (DATABASE_URL) is read-only`;
  if (code.startsWith('SQLITE_BUSY') || /database is locked/i.test(message)) {
    return `the SQLite database ${file} (DATABASE_URL) is locked by another connection and stayed locked longer than SQLITE_BUSY_TIMEOUT_MS`;
  }
  return `the SQLite database ${file} (DATABASE_URL): ${plain(message) || code || 'unknown error'}`;
}

/**
 * One line for any error met while opening or querying the database DATABASE_URL names: Prisma's
 * multi-line messages reduced to what happened ("cannot reach the database server at
 * 127.0.0.1:5432 (DATABASE_URL)"), never the URL itself or its password.
 */
export function describeDatabaseError(error: unknown, config?: DatabaseConfig): string {
  if (error instanceof DatabaseError) return redactDatabaseUrl(error.message, config);
  const errors = chain(error);
  const cause = adapterCause(errors);
  let text = cause ? describeAdapterCause(cause, config) : undefined;
  if (!text) {
    const server = serverOf(config, undefined);
    for (const e of errors) {
      const code = typeof e.code === 'string' ? e.code : '';
      const message = typeof e.message === 'string' ? e.message : '';
      if (code.startsWith('SQLITE_')) {
        text = sqliteProblem(code, message, config);
        break;
      }
      // A system error creating the SQLite file's folder (mkdir) or opening it.
      if (typeof e.syscall === 'string' && code && config?.provider === 'sqlite') {
        const what = e.syscall === 'mkdir' ? 'create the folder of' : 'open';
        text = `cannot ${what} the SQLite database file ${config.file} (DATABASE_URL): ${code} (${message.split(',')[0]!.replace(/^E[A-Z]+:\s*/, '')})`;
        break;
      }
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
        text = `cannot resolve the database host of DATABASE_URL (${server.replace(/:\d+$/, '')}): ${code}`;
        break;
      }
      if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNRESET' || code === 'ETIMEDOUT') {
        text = `cannot reach the database server at ${server} (DATABASE_URL): ${code}`;
        break;
      }
      if (/connection timeout|timeout expired|Connection terminated/i.test(message)) {
        text = `timed out connecting to the database server at ${server} (DATABASE_URL)`;
        break;
      }
      if (/Can't reach database server/i.test(message)) {
        text = `cannot reach the database server at ${server} (DATABASE_URL)`;
        break;
      }
    }
  }
  if (!text) {
    const first = errors[0];
    const message = first && typeof first.message === 'string' ? first.message : String(error);
    text = `the database at DATABASE_URL failed: ${plain(message) || 'unknown error'}`;
  }
  return redactDatabaseUrl(text, config);
}

/** Whether an error came from the database (Prisma, its driver adapters, the SQLite or PostgreSQL drivers). */
export function isDatabaseError(error: unknown): boolean {
  return chain(error).some((e) => {
    const name = typeof e.name === 'string' ? e.name : '';
    const code = typeof e.code === 'string' ? e.code : '';
    return error instanceof DatabaseError || name.startsWith('PrismaClient') || name === 'DriverAdapterError' || name === 'SqliteError' || code.startsWith('SQLITE_');
  });
}

/**
 * Why a write to the store failed, as far as an operator can act on it:
 * - `full`: the disk or the database is full (SQLITE_FULL, which SQLITE_MAX_SIZE_MB also gives;
 *   PostgreSQL's disk_full 53100 or a "No space left on device");
 * - `busy`: the SQLite database stayed locked longer than SQLITE_BUSY_TIMEOUT_MS;
 * - `unavailable`: anything else (unreachable, closed, the writer thread stopped).
 */
export type StorageFault = 'full' | 'busy' | 'unavailable';

export function storageFault(error: unknown): StorageFault {
  for (const e of chain(error)) {
    const code = typeof e.code === 'string' ? e.code : '';
    const cause = e.name === 'DriverAdapterError' && isObj(e.cause) ? (e.cause as unknown as AdapterCause) : undefined;
    const codes = [code, cause?.code ?? '', cause?.originalCode ?? ''];
    const message = [e.message, cause?.message, cause?.originalMessage].filter((m) => typeof m === 'string').join(' ');
    if (codes.some((c) => c === 'SQLITE_FULL' || c === '53100') || /database or disk is full|no space left on device|could not extend file/i.test(message)) {
      return 'full';
    }
    if (codes.some((c) => c.startsWith('SQLITE_BUSY')) || /database is locked/i.test(message)) return 'busy';
  }
  return 'unavailable';
}
