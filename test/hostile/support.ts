/**
 * Shared by the hostile-input suite: a real receiver (SQLite, migrated) listening on a socket,
 * raw HTTP requests (exact bytes, duplicate headers), and the checks every case ends with.
 *
 * What may appear where:
 * - Responses: never a stack frame ("    at "), never the consumer secret, never an internal
 *   path (the repository folder, node_modules, src/...ts).
 * - Logs: never the consumer secret, anywhere. A stack trace only inside the `err` field of a
 *   line at level error (50) or above — and the hostile cases here must produce no such line at
 *   all: hostile input is a 4xx, never an internal error.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createHttpServer } from '../../src/http/server.js';
import { decodeBody } from '../../src/store/index.js';
import { startTestApp, TEST_SECRET, xSignature, type TestApp } from '../support/app.js';
import { repoRoot } from '../support/databases.js';

export { TEST_SECRET, xSignature };
export const SIGNATURE_HEADER = 'x-twitter-webhooks-signature';

export interface Hostile {
  app: TestApp;
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

/** startTestApp on SQLite, served by the same HTTP server factory as `xaa serve`. */
export async function startHostile(env: Record<string, string> = {}): Promise<Hostile> {
  const app = await startTestApp('sqlite', env);
  const { requestTimeoutMs, limits } = loadConfig({ X_CONSUMER_SECRET: TEST_SECRET, ...env });
  const server = createHttpServer(app.handler, {
    requestTimeoutMs,
    maxConnections: limits.maxConnections,
    maxConnectionsPerClient: limits.maxConnectionsPerClient,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    app,
    server,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

/**
 * One hostile receiver for the enclosing describe block (or file), started before its tests and
 * closed after them; after each test its logs must be clean (expectCleanLogs) and are emptied.
 * Read its fields inside tests: they exist once it has started.
 */
export function hostileSuite(env: Record<string, string> = {}): Hostile {
  let started: Hostile | undefined;
  beforeAll(async () => {
    started = await startHostile(env);
  });
  afterAll(async () => started?.close());
  afterEach(() => {
    expectCleanLogs(running().app.logs);
    running().app.logs.length = 0;
  });
  const running = (): Hostile => {
    if (!started) throw new Error('the hostile receiver has not started (read it inside a test)');
    return started;
  };
  return {
    get app() {
      return running().app;
    },
    get server() {
      return running().server;
    },
    get port() {
      return running().port;
    },
    close: () => running().close(),
  };
}

/** A few kept-alive sockets: thousands of requests without exhausting local ports. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over a real socket; header values given as arrays are sent as repeated headers. */
export function request(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string | string[] | number>; body?: Buffer | string },
): Promise<RawResponse> {
  const headers = { ...options.headers };
  // Node frames a body on GET/DELETE/OPTIONS only with an explicit length (else it would be sent
  // unframed and read by the server as the start of the next request on the kept-alive socket).
  if (options.body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) {
    headers['content-length'] = Buffer.byteLength(options.body);
  }
  return send(port, options, headers, true);
}

function send(
  port: number,
  options: { method?: string; path?: string; body?: Buffer | string },
  headers: Record<string, string | string[] | number>,
  retry: boolean,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, agent, method: options.method ?? 'GET', path: options.path ?? '/', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed as idle just as this request went out (its
      // keep-alive timeout, reached while a slow test ran): sent again once, as Node's
      // documentation advises for reused sockets. Deliveries are idempotent (deduplicated).
      if (retry && req.reusedSocket && error.code === 'ECONNRESET') {
        send(port, options, headers, false).then(resolve, reject);
        return;
      }
      reject(error);
    });
    req.end(options.body);
  });
}

export interface PostOptions {
  /** The signature header: a value, several values (repeated header), or null for none. Default: correct. */
  signature?: string | string[] | null;
  contentType?: string | string[] | null;
  headers?: Record<string, string | string[]>;
}

/** POSTs exact bytes to /webhook. */
export function post(port: number, body: Buffer | string, options: PostOptions = {}): Promise<RawResponse> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const headers: Record<string, string | string[] | number> = { 'content-length': bytes.length, ...options.headers };
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  const signature = options.signature === undefined ? xSignature(bytes) : options.signature;
  if (signature !== null) headers[SIGNATURE_HEADER] = signature;
  return request(port, { method: 'POST', path: '/webhook', headers, body: bytes });
}

/** Sends raw bytes on a TCP socket and collects everything until the server closes (or `ms`). */
export function rawExchange(port: number, bytes: Buffer | string, ms = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes);
  });
}

const STACK_FRAME = /\n\s+at\s|^\s+at\s.+:\d+:\d+/m;

/** A response must carry no stack trace, no secret and no internal path. */
export function expectCleanResponse(res: { body: string; headers?: http.IncomingHttpHeaders }, secret = TEST_SECRET): void {
  const text = res.body + (res.headers ? JSON.stringify(res.headers) : '');
  expect(text).not.toMatch(STACK_FRAME);
  expect(text).not.toContain('    at ');
  expect(text).not.toContain(secret);
  expect(text).not.toContain(repoRoot);
  expect(text).not.toContain('node_modules');
  expect(text).not.toMatch(/src\/[\w/-]+\.(ts|js)/);
}

/**
 * Log lines: never the secret; a stack only in `err` at level >= 50; and, unless
 * `allowErrors`, no line at error level at all.
 */
export function expectCleanLogs(logs: readonly string[], options: { allowErrors?: boolean; secret?: string } = {}): void {
  const secret = options.secret ?? TEST_SECRET;
  for (const line of logs) {
    expect(line).not.toContain(secret);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`a log line is not JSON: ${line.slice(0, 200)}`);
    }
    const level = Number(parsed.level);
    if (!options.allowErrors) expect(level, `unexpected error-level log line: ${line.slice(0, 500)}`).toBeLessThan(50);
    const { err, ...rest } = parsed;
    expect(JSON.stringify(rest)).not.toContain('    at ');
    if (err !== undefined && level < 50) expect(JSON.stringify(err)).not.toContain('    at ');
  }
}

export async function storedCounts(app: TestApp): Promise<{ deliveries: number; events: number }> {
  return { deliveries: await app.db.prisma.delivery.count(), events: await app.db.prisma.event.count() };
}

/**
 * The latest delivery stored with these exact bytes (by hash, then compared byte for byte), its
 * body as the store gives it back (decoded from its stored encoding).
 */
export async function storedDelivery(app: TestApp, body: Buffer) {
  const { createHash } = await import('node:crypto');
  const sha = createHash('sha256').update(body).digest('hex');
  const rows = await app.db.prisma.delivery.findMany({ where: { bodySha256: sha }, orderBy: { receivedAt: 'desc' }, take: 1 });
  const row = rows[0];
  return row && { ...row, body: decodeBody(row.body, row.bodyEncoding) };
}

/** What the receiver must decide for a validly signed body: JSON (UTF-8 decoded) or not. */
export function isJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Property-run settings: bounded so that the whole suite stays well under a minute. */
export const RUNS = { numRuns: 100 } as const;
