/**
 * What a handler's attempt fails with when it runs past DISPATCH_HANDLER_TIMEOUT_MS (or its
 * plugin's own `timeoutMs`): the attempt
 * is recorded as failed and retried on the schedule (or dead-lettered after the last), its
 * `ctx.signal` aborts with this error as its reason, and whatever the handler does afterwards is
 * not recorded.
 */
export class HandlerTimeoutError extends Error {
  // On the prototype, not a field: a field is set after Error's constructor has taken the stack,
  // whose first line would then say "Error".
  static {
    this.prototype.name = 'HandlerTimeoutError';
  }

  constructor(
    readonly plugin: string,
    readonly timeoutMs: number,
    /** Where the limit comes from: the setting, or the plugin's own `timeoutMs`. */
    setBy: 'DISPATCH_HANDLER_TIMEOUT_MS' | 'the plugin\'s timeoutMs' = 'DISPATCH_HANDLER_TIMEOUT_MS',
  ) {
    super(`the handlers of plugin "${plugin}" did not finish within ${timeoutMs} ms (${setBy})`);
  }
}

/**
 * Whether `work` settles within `ms` (true) or not (false; it is left running). Rejects when
 * `work` rejects first.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), expiry]);
  } finally {
    clearTimeout(timer);
  }
}
