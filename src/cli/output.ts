/**
 * Leaving the process without losing output: on POSIX, writes to a pipe (`xaa doctor | cat`,
 * a test harness, a log collector) are asynchronous, and process.exit() drops what is still
 * queued. Wait for stdout and stderr to hand everything to the OS first.
 */

function drained(stream: NodeJS.WriteStream, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    // An empty write completes after every write queued before it.
    stream.write('', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves once stdout and stderr have written everything queued (or after `timeoutMs`, a reader that stopped reading must not hold the exit). */
export async function flushOutput(timeoutMs = 5_000): Promise<void> {
  await Promise.all([drained(process.stdout, timeoutMs), drained(process.stderr, timeoutMs)]);
}

/** process.exit(code) once the output is flushed. */
export function exitAfterFlush(code: number): void {
  process.exitCode = code;
  void flushOutput().finally(() => process.exit(code));
}
