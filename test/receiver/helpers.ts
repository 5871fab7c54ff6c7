import { createHash } from 'node:crypto';
import http, { type RequestListener } from 'node:http';
import request from 'supertest';
import type { Database } from '../../src/store/index.js';
import { xSignature } from '../support/app.js';

export const SIGNATURE_HEADER = 'x-twitter-webhooks-signature';

export interface PostOptions {
  /** Signature header value; null to send none. Defaults to a correct signature with TEST_SECRET. */
  signature?: string | null;
  secret?: string;
  contentType?: string | null;
}

/** POSTs exact bytes to /webhook through supertest, to the listener `xaa serve` serves (`handler`). */
export function postDelivery(app: RequestListener, body: Buffer | string, options: PostOptions = {}) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  let req = request(app).post('/webhook');
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (contentType !== null) req = req.set('content-type', contentType);
  const signature = options.signature === undefined ? xSignature(bytes, options.secret) : options.signature;
  if (signature !== null) req = req.set(SIGNATURE_HEADER, signature);
  // superagent would JSON-serialize a Buffer sent as application/json: send the bytes untouched.
  return req.serialize((data: unknown) => data as string).send(bytes);
}

/**
 * POSTs a signed delivery to the webhook at `url` over a real socket (with `agent`, or on a
 * connection of its own by default); resolves with the status and the body's text.
 */
export function postOverHttp(url: string, body: Buffer, agent: http.Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, [SIGNATURE_HEADER]: xSignature(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export async function counts(db: Database): Promise<{ deliveries: number; events: number }> {
  return { deliveries: await db.prisma.delivery.count(), events: await db.prisma.event.count() };
}

/** Polls until `check` holds or fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The value of one labelled series of a prom-client counter (0 when never incremented). */
export async function counterValue(
  counter: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> },
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await counter.get();
  const found = values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return found?.value ?? 0;
}
