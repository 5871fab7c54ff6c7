import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Whether the openssl command is here to make test certificates with. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface CertificatePair {
  /** Path of the PEM certificate. */
  cert: string;
  /** Path of its PEM key. */
  key: string;
}

/** A self-signed P-256 certificate for 127.0.0.1 with the given common name, and its key, written into `dir`. */
export function makeCertificate(dir: string, name: string): CertificatePair {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
