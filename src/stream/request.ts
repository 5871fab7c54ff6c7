/** X's path of the XAA persistent stream. */
export const ACTIVITY_STREAM_PATH = '/2/activity/stream';

/** GET /2/activity/stream under X_API_BASE_URL, asking for `backfillMinutes` when above 0. */
export function streamUrl(baseUrl: string, backfillMinutes: number): URL {
  const url = new URL(baseUrl.replace(/\/+$/, '') + ACTIVITY_STREAM_PATH);
  if (backfillMinutes > 0) url.searchParams.set('backfill_minutes', String(backfillMinutes));
  return url;
}

/** Opens the stream with the app bearer token; `signal` ends it (connecting, or reading the body). */
export function requestStream(url: URL, bearerToken: string, signal: AbortSignal): Promise<Response> {
  return fetch(url, {
    headers: { authorization: `Bearer ${bearerToken}`, 'user-agent': 'x-activity-receiver', accept: 'application/json' },
    signal,
  });
}

/**
 * What a network error says (its cause's code, else a message), for the log and status(). fetch
 * quotes a header it refuses: the token is replaced, so it never goes into a detail.
 */
export function networkErrorDetail(err: unknown, bearerToken: string): string | undefined {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return withoutToken(e.cause?.code ?? e.cause?.message ?? e.message, bearerToken);
}

function withoutToken(text: string | undefined, token: string): string | undefined {
  return text && token ? text.split(token).join('[redacted]') : text;
}
