/** X's rules for webhook URLs: https, no port, a public host, at most 200 characters. */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** What is wrong with a webhook URL by X's rules; null when acceptable. `allowLoopbackHttp`: the stand-in's test mode. */
export function urlProblem(value: unknown, allowLoopbackHttp: boolean): string | null {
  if (typeof value !== 'string' || value.length === 0) return 'url is required';
  if (value.length > 200) return 'url must be at most 200 characters';
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'url is not a valid URL';
  }
  const loopbackTest = allowLoopbackHttp && LOOPBACK.has(u.hostname);
  if (u.protocol !== 'https:' && !(loopbackTest && u.protocol === 'http:')) return 'url must use https';
  if (u.port && !loopbackTest) return 'url must not contain a port';
  if (!loopbackTest && isPrivateHost(u.hostname)) return 'url must be publicly reachable';
  if (u.username || u.password) return 'url must not contain credentials';
  return null;
}

export function isPrivateHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h === '::1' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80')) return true;
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}
