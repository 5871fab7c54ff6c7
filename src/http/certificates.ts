import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { TlsFiles } from '../config/index.js';
import type { Logger } from '../log/index.js';

/** A certificate chain and its private key, read from TLS_CERT_FILE and TLS_KEY_FILE, known to match. */
export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 of both files' bytes: tells a changed pair from a rewrite of the same one. */
  digest: string;
}

/** A pair that cannot be used: the message names the files and the reason, never their content. */
export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

/**
 * Reads both files and checks that they make a TLS context (PEM, a key that matches the
 * certificate). Throws CertificateError with one line: which file, what is wrong.
 */
export function loadCertificatePair(files: TlsFiles): CertificatePair {
  const read = (file: string, variable: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new CertificateError(`${variable} ${file} cannot be read (${code})`);
    }
  };
  const cert = read(files.certFile, 'TLS_CERT_FILE');
  const key = read(files.keyFile, 'TLS_KEY_FILE');
  try {
    tls.createSecureContext({ cert, key });
  } catch (error) {
    // OpenSSL's reasons ("key values mismatch", "no start line") carry no key material.
    const reason = (error as Error).message.split('\n', 1)[0];
    throw new CertificateError(`TLS_CERT_FILE ${files.certFile} and TLS_KEY_FILE ${files.keyFile} are not a usable pair: ${reason}`);
  }
  const digest = createHash('sha256').update(cert).update('\0').update(key).digest('hex');
  return { cert, key, digest };
}

/** What the watcher hands a new pair to: `tls.Server#setSecureContext`. */
export interface SecureContextTarget {
  setSecureContext(options: tls.SecureContextOptions): void;
}

export interface WatchOptions {
  /** Changes are gathered this long before the files are read (a renewal writes two files). */
  debounceMs?: number;
  /**
   * A pair that does not match (the certificate written, the key not yet) is read again after
   * this long before it counts as an error.
   */
  settleMs?: number;
}

/**
 * Watches the folders of both files (renewals usually replace files or swap symlinks, which a
 * watch on the file itself misses) and, when their content changes, hands the new pair to the
 * server: connections made from then on get it, open connections keep theirs and are not closed.
 * A new pair that cannot be used is logged as an error (paths and reason, no content) and the
 * server keeps the pair it has. SIGHUP, where the caller wires it to `reload()`, does the same
 * at once. Returns the watcher; `close()` stops it.
 */
export function watchCertificates(
  server: SecureContextTarget,
  files: TlsFiles,
  current: CertificatePair,
  logger: Logger,
  { debounceMs = 300, settleMs = 2_000 }: WatchOptions = {},
): { reload(): void; close(): void } {
  let digest = current.digest;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const check = (retry: boolean) => {
    timer = undefined;
    if (closed) return;
    let pair: CertificatePair;
    try {
      pair = loadCertificatePair(files);
    } catch (error) {
      if (retry) {
        timer = setTimeout(() => check(false), settleMs);
        timer.unref();
        return;
      }
      logger.error({ problem: (error as Error).message }, 'TLS certificate not reloaded: still serving the previous one');
      return;
    }
    if (pair.digest === digest) return;
    server.setSecureContext({ cert: pair.cert, key: pair.key });
    digest = pair.digest;
    logger.info({ certFile: files.certFile, keyFile: files.keyFile }, 'TLS certificate reloaded');
  };
  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => check(true), debounceMs);
    timer.unref();
  };

  const folders = [...new Set([path.dirname(files.certFile), path.dirname(files.keyFile)])];
  const watchers = folders.flatMap((folder) => {
    try {
      const watcher = fs.watch(folder, { persistent: false }, schedule);
      watcher.on('error', (error) => logger.warn({ folder, problem: error.message }, 'TLS certificate folder no longer watched'));
      return [watcher];
    } catch (error) {
      logger.warn({ folder, problem: (error as Error).message }, 'cannot watch the TLS certificate folder: reload with SIGHUP');
      return [];
    }
  });
  return {
    reload: () => {
      if (timer) clearTimeout(timer);
      check(false);
    },
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
