/**
 * Default retry schedule: the delay before each retry. It spans about 17 hours, like the better
 * webhook platforms: 10 s, 1 min, 5 min, 30 min, 2 h, 5 h, 10 h (eight attempts in all).
 */
export const DEFAULT_RETRY_SCHEDULE = '10s,1m,5m,30m,2h,5h,10h';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "10s,1m,2h" into milliseconds; throws on a malformed item. */
export function parseSchedule(text: string): number[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(item);
      if (!match) throw new Error(`"${item}" is not a duration like 500ms, 10s, 5m, 2h or 1d`);
      return Math.round(Number(match[1]) * UNITS[match[2]!]!);
    });
}
