export interface CrcObservation {
  answeredAt: Date;
  latencyMs: number;
  outcome: 'ok' | 'rejected';
}

/**
 * Persists CRC observations for the doctor command, at most one per outcome per `intervalMs`:
 * X sends a CRC every few minutes, but a flood of CRC requests must not turn into a flood of
 * writes. The latest observation in a window is the one written. Never throws.
 */
export function createCrcRecorder(write: (o: CrcObservation) => Promise<void>, onError: (e: unknown) => void, intervalMs = 1_000) {
  const state = new Map<string, { last: number; pending: CrcObservation | null; timer: NodeJS.Timeout | null }>();
  function flush(key: string) {
    const s = state.get(key)!;
    s.timer = null;
    const o = s.pending;
    s.pending = null;
    if (!o) return;
    s.last = Date.now();
    write(o).catch(onError);
  }
  return {
    record(o: CrcObservation): void {
      const s = state.get(o.outcome) ?? { last: 0, pending: null, timer: null };
      state.set(o.outcome, s);
      s.pending = o;
      if (s.timer) return;
      const wait = Math.max(0, s.last + intervalMs - Date.now());
      if (wait === 0) flush(o.outcome);
      else (s.timer = setTimeout(() => flush(o.outcome), wait)).unref();
    },
    /** Writes what is pending now (shutdown). */
    flushAll(): void {
      for (const [key, s] of state) {
        if (s.timer) clearTimeout(s.timer);
        flush(key);
      }
    },
  };
}
