/** Why a connection attempt ended. */
export type EndReason = 'closed' | 'idle' | 'network' | 'http_error' | 'rate_limited' | 'unauthorized' | 'store' | 'stopped';

/** How one connection attempt ended: what the reconnection's wait and the log are chosen from. */
export interface Attempt {
  reason: EndReason;
  /** Whether the server answered 200 (a stream was open). */
  opened: boolean;
  /** How long it was open. */
  openMs?: number;
  status?: number;
  detail?: string;
  /** For a 429: how long X asks to wait (Retry-After, x-rate-limit-reset). */
  waitMs?: number;
}
