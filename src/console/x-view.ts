import { listWebhookRecords, type WebhookRecord } from '../store/index.js';
import type { ConsoleDeps } from './context.js';
import { problem } from './context.js';

/**
 * What X says, or the local mirror when X cannot be asked (no X_BEARER_TOKEN, X unreachable or
 * slow, an error): every management page shows one or the other and says which.
 */
export interface XView<T> {
  source: 'x' | 'local';
  /** Why the local mirror is shown. */
  why: string | null;
  value: T;
}

/** How long a page waits for X before showing the local mirror. */
const X_WAIT_MS = 8_000;

export async function fromX<T>(deps: ConsoleDeps, ask: () => Promise<T>, local: () => Promise<T>): Promise<XView<T>> {
  if (!deps.config.x.bearerToken) return { source: 'local', why: 'X_BEARER_TOKEN is not set, so X cannot be asked', value: await local() };
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      ask(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`X did not answer within ${X_WAIT_MS / 1000} s`)), X_WAIT_MS);
      }),
    ]);
    return { source: 'x', why: null, value };
  } catch (error) {
    deps.logger.warn({ err: problem(error) }, 'console: X could not be asked; showing the local mirror');
    return { source: 'local', why: `X could not be reached: ${problem(error)}`, value: await local() };
  } finally {
    clearTimeout(timer);
  }
}

/** The webhooks at X (mirrored as they are read), or the mirror. */
export function webhooksView(deps: ConsoleDeps): Promise<XView<WebhookRecord[]>> {
  return fromX(
    deps,
    async () => {
      await deps.management().listWebhooks();
      return listWebhookRecords(deps.db.prisma);
    },
    () => listWebhookRecords(deps.db.prisma),
  );
}
