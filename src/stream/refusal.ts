import type { Attempt } from './attempt.js';
import { rateLimitWaitMs } from './backoff.js';
import { answerProblem } from './x-messages.js';

/**
 * X's answer when it did not open the stream (not a 200 with a body), as the attempt's end:
 * 401/403 'unauthorized', 429 'rate_limited' with the wait X asks for, else 'http_error'; the
 * detail is the problem its body names (read bounded; never a header).
 */
export async function refusedAttempt(res: Response, now: () => Date): Promise<Attempt> {
  const detail = await errorDetail(res);
  const status = res.status;
  if (status === 401 || status === 403) return { reason: 'unauthorized', opened: false, status, detail };
  if (status === 429) {
    const waitMs = rateLimitWaitMs(res.headers, now().getTime()) ?? undefined;
    return { reason: 'rate_limited', opened: false, status, detail, waitMs };
  }
  return { reason: 'http_error', opened: false, status, detail };
}

async function errorDetail(res: Response): Promise<string | undefined> {
  let text = '';
  try {
    text = (await res.text()).slice(0, 4096);
  } catch {
    return undefined;
  }
  return answerProblem(text);
}
