/**
 * `xaa serve` terminating TLS itself (TLS_CERT_FILE, TLS_KEY_FILE), with self-signed pairs made by
 * the openssl command line: the certificate is replaced on disk while the server runs, as a
 * renewal does (new files renamed over the old ones). New connections get the new certificate;
 * a kept-alive connection opened before keeps working on the old one; a new pair that does not
 * match is logged (without key material) and the server goes on with the pair it has.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOpenssl, makeCertificate, type CertificatePair } from '../support/certificates.js';
import { migratedDatabase, type TestDatabase } from '../support/databases.js';
import { freePort, spawnServe, spawnXaa, stopSpawned, until, type Served } from '../support/process.js';

const SECRET = 'test-consumer-secret-0123456789abcdef';

const openssl = hasOpenssl();
if (!openssl) console.warn('HTTPS tests skipped: no openssl command to make test certificates with');

/** Replaces `target` with a copy of `source` the way renewals do: a new file renamed over it. */
function replace(source: string, target: string): void {
  const temporary = `${target}.new`;
  fs.copyFileSync(source, temporary);
  fs.renameSync(temporary, target);
}

/** One TLS connection speaking HTTP/1.1 keep-alive, one request at a time. */
class Connection {
  private readonly socket: tls.TLSSocket;
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;

  private constructor(socket: tls.TLSSocket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  /** The common name of the certificate this connection was set up with. */
  certificateName(): string {
    return String(this.socket.getPeerCertificate().subject?.CN);
  }

  async get(pathAndQuery: string): Promise<{ status: number; body: string }> {
    this.buffer = Buffer.alloc(0);
    this.socket.write(`GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    for (;;) {
      const text = this.buffer.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) {
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          return { status: Number(text.slice(9, 12)), body: this.buffer.subarray(end + 4, end + 4 + length).toString() };
        }
      }
      if (this.closed) throw new Error('connection closed by the server');
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The certificate name a fresh connection gets. */
async function servedName(port: number): Promise<string> {
  const c = await Connection.open(port);
  try {
    return c.certificateName();
  } finally {
    c.close();
  }
}

/** Whether /healthz answers 200 over TLS on a fresh connection (false while nothing listens). */
async function healthzOverTls(port: number): Promise<boolean> {
  try {
    const c = await Connection.open(port);
    const ok = (await c.get('/healthz')).status === 200;
    c.close();
    return ok;
  } catch {
    return false;
  }
}

describe.skipIf(!openssl)('xaa serve over HTTPS (TLS_CERT_FILE, TLS_KEY_FILE)', () => {
  let dir: string;
  let db: TestDatabase;
  let run: Served;
  let port: number;
  let pairs: Record<'one' | 'two' | 'three', CertificatePair>;
  const live = () => ({ cert: path.join(dir, 'live', 'fullchain.pem'), key: path.join(dir, 'live', 'privkey.pem') });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-https-'));
    pairs = { one: makeCertificate(dir, 'one.test'), two: makeCertificate(dir, 'two.test'), three: makeCertificate(dir, 'three.test') };
    fs.mkdirSync(path.join(dir, 'live'));
    fs.copyFileSync(pairs.one.cert, live().cert);
    fs.copyFileSync(pairs.one.key, live().key);
    db = await migratedDatabase('sqlite');
    run = await spawnServe(
      db.url,
      { X_CONSUMER_SECRET: SECRET, DISPATCH_IN_SERVER: 'false', TLS_CERT_FILE: live().cert, TLS_KEY_FILE: live().key },
      { ready: (port) => until(() => healthzOverTls(port), 60_000, 100) },
    );
    port = run.port;
  });

  afterAll(async () => {
    await stopSpawned(run);
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the webhook and health over TLS with the configured certificate', async () => {
    const c = await Connection.open(port);
    expect(c.certificateName()).toBe('one.test');
    const crc = await c.get(`/webhook?crc_token=${'A'.repeat(24)}`);
    expect(crc.status).toBe(200);
    expect(JSON.parse(crc.body).response_token).toMatch(/^sha256=/);
    c.close();
    expect(run.output()).toContain(`https://127.0.0.1:${port}`);
  });

  it('a renewed pair reaches new connections while a kept-alive one goes on with the old', async () => {
    const old = await Connection.open(port);
    expect((await old.get('/healthz')).status).toBe(200);
    expect(old.certificateName()).toBe('one.test');

    replace(pairs.two.key, live().key);
    replace(pairs.two.cert, live().cert);
    // The old connection is used while waiting, so that it is never idle long enough to be closed.
    await until(async () => {
      expect((await old.get('/healthz')).status).toBe(200);
      return (await servedName(port)) === 'two.test';
    }, 30_000, 100);

    expect((await old.get('/healthz')).status).toBe(200);
    expect(old.closed).toBe(false);
    expect(old.certificateName()).toBe('one.test');
    expect(run.output()).toContain('TLS certificate reloaded');
    old.close();
  });

  it('a pair that does not match is refused with an error line and the previous certificate stays', async () => {
    // The certificate of pair three with the key of pair two: not a pair.
    replace(pairs.three.cert, live().cert);
    await until(() => run.output().includes('TLS certificate not reloaded'), 30_000, 100);
    const line = run.output().split('\n').find((l) => l.includes('TLS certificate not reloaded'))!;
    expect(line).toMatch(/"level":50/);
    expect(line).toContain('not a usable pair');
    expect(line).not.toContain('PRIVATE KEY');
    expect(line).not.toContain(fs.readFileSync(pairs.two.key, 'utf8').split('\n')[1]!.slice(0, 20));
    expect(await servedName(port)).toBe('two.test');

    // Its key arrives: the pair is whole again and is served.
    replace(pairs.three.key, live().key);
    await until(async () => (await servedName(port)) === 'three.test', 30_000, 100);
  });

  it('does not start with a pair that does not match, saying which files and why in one line', async () => {
    const other = spawnXaa(['serve'], {
      X_CONSUMER_SECRET: SECRET,
      DATABASE_URL: db.url,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DISPATCH_IN_SERVER: 'false',
      TLS_CERT_FILE: pairs.one.cert,
      TLS_KEY_FILE: pairs.two.key,
    });
    const { code } = await other.exited;
    expect(code).toBe(1);
    const output = other.output().trim();
    expect(output).toMatch(/^xaa: TLS_CERT_FILE .*one\.test\.crt and TLS_KEY_FILE .*two\.test\.key are not a usable pair: /m);
    expect(output).not.toContain('PRIVATE KEY');
  });
});
