import { createHash, randomBytes } from 'node:crypto';

/**
 * Console sessions, kept server-side in memory: the cookie carries only a random id (256 bits),
 * the server keeps its digest, the CSRF token and the expiry. Chosen over signed cookies because
 * logging out really ends the session (a signed cookie stays valid until it expires), and nothing
 * needs a signing key of its own. A restart ends every session (the operator logs in again).
 */
export interface Session {
  /** The token forms carry (csrf.ts). */
  csrf: string;
  expiresAt: number;
}

export interface SessionStore {
  /** A new session: its cookie value and the session. */
  create(): { id: string; session: Session };
  /** The live session with this cookie value, or undefined (unknown or expired). */
  get(id: string | undefined): Session | undefined;
  destroy(id: string | undefined): void;
  readonly size: number;
}

/** More live sessions than this: the oldest is dropped (a login flood cannot grow memory). */
const MAX_SESSIONS = 1_000;

const key = (id: string) => createHash('sha256').update(id).digest('base64url');

export function createSessionStore(lifetimeMs: number, now: () => number = Date.now): SessionStore {
  const sessions = new Map<string, Session>();
  const sweep = () => {
    const t = now();
    for (const [k, s] of sessions) if (s.expiresAt <= t) sessions.delete(k);
    while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  };
  return {
    create() {
      sweep();
      const id = randomBytes(32).toString('base64url');
      const session = { csrf: randomBytes(32).toString('base64url'), expiresAt: now() + lifetimeMs };
      sessions.set(key(id), session);
      return { id, session };
    },
    get(id) {
      if (!id || id.length > 100) return undefined;
      const k = key(id);
      const s = sessions.get(k);
      if (!s) return undefined;
      if (s.expiresAt <= now()) {
        sessions.delete(k);
        return undefined;
      }
      return s;
    },
    destroy(id) {
      if (id) sessions.delete(key(id));
    },
    get size() {
      return sessions.size;
    },
  };
}
