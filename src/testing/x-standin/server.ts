import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, type Auth, type AuthDeps, type Principal } from './auth.js';
import { HttpError, INVALID } from './errors.js';

/** One API call as a route handler sees it. */
export interface RouteContext {
  req: IncomingMessage;
  /** For a route that answers by streaming (it then returns STREAMED, having written the head itself). */
  res: ServerResponse;
  /** The x-rate-limit-* headers of this call, for a streaming route's head. */
  headers: Record<string, string>;
  url: URL;
  params: string[];
  body: Record<string, unknown>;
  /** The user of a user context; null for the app bearer token or no auth. */
  userId: string | null;
  principal: Principal | null;
}

/** Returned as the body by a route that wrote its own (streaming) answer on ctx.res. */
export const STREAMED: unique symbol = Symbol('streamed');

export type Handler = (ctx: RouteContext) => Promise<[number, unknown]> | [number, unknown];

export interface Route {
  method: string;
  pattern: RegExp;
  /** "METHOD /path/:param", as tests name routes (failNext, setRateLimit, requests). */
  key: string;
  auth: Auth;
  handler: Handler;
}

/** A route: `path` with `:name` segments. */
export function route(method: string, path: string, auth: Auth, handler: Handler): Route {
  const pattern = new RegExp('^' + path.replace(/:[a-z_]+/g, '([^/]+)') + '$');
  return { method, pattern, key: `${method} ${path}`, auth, handler };
}

interface Fault {
  status: number;
  times: number;
  delayMs: number;
  body?: unknown;
  /** The call is carried out as usual and only its answer waits delayMs (an answer lost to a timeout). */
  late: boolean;
}

interface Window {
  limit: number;
  used: number;
  resetAt: number;
}

const WINDOW_MS = 15 * 60_000;

/**
 * The stand-in's HTTP front: routing, authentication per route, X's rate-limit headers (429 when
 * a route's 15-minute window is used up), injected faults, JSON bodies, and a log of every call.
 */
export class ApiServer {
  /** Every API request: "METHOD /path" and its status. */
  readonly requests: Array<{ route: string; status: number; auth: string }> = [];
  readonly #faults = new Map<string, Fault>();
  readonly #limits = new Map<string, Window>();
  #server: http.Server | undefined;

  constructor(
    readonly routes: Route[],
    readonly auth: AuthDeps,
    readonly rateLimit: number,
  ) {}

  async listen(host: string, port: number): Promise<string> {
    const server = http.createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
    const address = server.address() as AddressInfo;
    return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  failNext(routeKey: string, fault: { status?: number; times?: number; delayMs?: number; body?: unknown; late?: boolean }): void {
    this.#faults.set(routeKey, {
      status: fault.status ?? 503,
      times: fault.times ?? 1,
      delayMs: fault.delayMs ?? 0,
      body: fault.body,
      late: fault.late ?? false,
    });
  }

  setRateLimit(routeKey: string, w: { limit?: number; remaining: number; resetInSeconds: number }): void {
    const limit = w.limit ?? Math.max(w.remaining, 1);
    this.#limits.set(routeKey, { limit, used: limit - w.remaining, resetAt: Date.now() + w.resetInSeconds * 1000 });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = req.method ?? 'GET';
    let routeKey = `${method} ${url.pathname}`;
    let authLabel = 'none';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ route: routeKey, status, auth: authLabel });
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(text);
    };
    try {
      const raw = await readBody(req);
      const found = this.routes.find((r) => r.method === method && r.pattern.test(url.pathname));
      if (!found) throw new HttpError(404, { errors: [{ message: 'Sorry, that page does not exist', code: 34 }] });
      routeKey = found.key;
      const params = (found.pattern.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
      let principal: Principal | null = null;
      if (found.auth !== 'none') {
        principal = authenticate(req, url, found.auth, this.auth);
        authLabel = principal.label;
      }
      const limitHeaders = found.auth === 'none' ? {} : this.#rateLimit(found.key);
      const fault = this.#faults.get(found.key);
      let lateMs = 0;
      if (fault && fault.times > 0 && fault.late) {
        fault.times--;
        lateMs = fault.delayMs;
      } else if (fault && fault.times > 0) {
        fault.times--;
        if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
        return send(fault.status, fault.body ?? { title: 'Service Unavailable', detail: 'Service Unavailable', type: 'about:blank', status: fault.status }, limitHeaders);
      }
      let body: Record<string, unknown> = {};
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new HttpError(400, { ...INVALID, errors: [{ message: 'Request body is not valid JSON' }] });
        }
      }
      const [status, out] = await found.handler({ req, res, headers: limitHeaders, url, params, body, userId: principal?.userId ?? null, principal });
      if (out === STREAMED) {
        this.requests.push({ route: routeKey, status, auth: authLabel });
        return;
      }
      if (lateMs) await new Promise((r) => setTimeout(r, lateMs));
      send(status, out, limitHeaders);
    } catch (error) {
      if (error instanceof HttpError) return send(error.status, error.body, error.headers);
      this.auth.log?.(`stand-in error: ${(error as Error).stack}`);
      send(500, { title: 'Internal Server Error', detail: String((error as Error).message), type: 'about:blank', status: 500 });
    }
  }

  #rateLimit(key: string): Record<string, string> {
    const now = Date.now();
    let w = this.#limits.get(key);
    if (!w || w.resetAt <= now) {
      w = { limit: this.rateLimit, used: 0, resetAt: now + WINDOW_MS };
      this.#limits.set(key, w);
    }
    const headers = (remaining: number) => ({
      'x-rate-limit-limit': String(w.limit),
      'x-rate-limit-remaining': String(remaining),
      'x-rate-limit-reset': String(Math.ceil(w.resetAt / 1000)),
    });
    if (w.used >= w.limit) {
      const e = new HttpError(429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
      e.headers = headers(0);
      throw e;
    }
    w.used++;
    return headers(w.limit - w.used);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) {
        reject(new HttpError(413, { title: 'Payload Too Large', detail: 'Payload Too Large', type: 'about:blank', status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
