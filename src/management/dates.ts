/** X's replay dates: yyyymmddhhmm in UTC. */
export function toXDate(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

export function fromXDate(s: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi));
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 ? date : null;
}

/**
 * A user's time: yyyymmddhhmm (UTC), an ISO 8601 date-time, or relative to now such as "90m",
 * "2h", "1d" ago (or "now"). Minutes are what X takes: seconds are truncated.
 */
export function parseWhen(s: string, now = Date.now()): Date {
  const text = s.trim();
  if (text === 'now') return truncate(new Date(now));
  const rel = /^(\d+)\s*(m|min|h|d)$/.exec(text);
  if (rel) {
    const unit = rel[2] === 'd' ? 86_400_000 : rel[2] === 'h' ? 3_600_000 : 60_000;
    return truncate(new Date(now - Number(rel[1]) * unit));
  }
  const x = fromXDate(text);
  if (x) return x;
  const iso = Date.parse(text);
  if (!Number.isNaN(iso) && /^\d{4}-\d{2}-\d{2}/.test(text)) return truncate(new Date(iso));
  throw new Error(`"${s}" is not a time: use yyyymmddhhmm (UTC), an ISO date-time, "now", or an age such as 90m, 2h, 1d`);
}

function truncate(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 60_000) * 60_000);
}
