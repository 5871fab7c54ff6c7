import { readFileSync, readlinkSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';

/**
 * CPU time by thread of this process, by role: which of the receiver's threads is the busy one
 * (on SQLite, usually the writer). Linux only (it reads /proc); elsewhere nothing is tracked.
 */
export type ThreadRole = 'main' | 'sqlite_writer' | 'dispatch';

interface Tracked {
  role: ThreadRole;
  /** Seconds at the last reading. */
  last: number;
}

const tracked = new Map<number, Tracked>();
/** CPU seconds of tracked threads that have exited, by role. */
const retired = new Map<ThreadRole, number>();
/** "other" as last reported: never lower (the two clocks it is the difference of differ a little). */
let other = 0;

/** The operating system's id of the calling thread (Linux), or null where it cannot be read. */
export function osThreadId(): number | null {
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Seconds a thread of this process has run on a CPU (user and system); null if the thread is
 * gone, undefined if it could not be read just now (too many open files, say).
 */
function cpuSeconds(tid: number): number | null | undefined {
  try {
    // The first field: nanoseconds on the CPU.
    const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e9 : undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? null : undefined;
  }
}

/**
 * Keeps a thread's time under its role once it has exited. Its time after the last reading can
 * no longer be read (the thread is gone when its exit is reported): it counts as "other".
 */
function retire(tid: number): void {
  const t = tracked.get(tid);
  if (!t) return;
  tracked.delete(tid);
  retired.set(t.role, (retired.get(t.role) ?? 0) + (cpuSeconds(tid) ?? t.last));
}

/**
 * Counts a thread's CPU under `role` from now on (its time so far included). With `worker`, the
 * thread is let go when it exits, its time kept. A null tid (not Linux) is ignored.
 */
export function trackThread(role: ThreadRole, tid: number | null | undefined, worker?: Worker): void {
  if (tid == null || tracked.has(tid)) return;
  tracked.set(tid, { role, last: cpuSeconds(tid) ?? 0 });
  worker?.once('exit', () => retire(tid));
}

/**
 * CPU seconds so far by role, every thread of a role summed (exited ones included), and "other":
 * the rest of the process (V8's garbage-collection helpers, libuv's pool, untracked threads).
 * Empty where threads cannot be read.
 */
export function threadCpuSeconds(): Map<ThreadRole | 'other', number> {
  const byRole = new Map<ThreadRole | 'other', number>(retired);
  for (const [tid, t] of tracked) {
    const now = cpuSeconds(tid);
    if (now === undefined) {
      byRole.set(t.role, (byRole.get(t.role) ?? 0) + t.last);
      continue;
    }
    if (now === null) {
      retire(tid);
      byRole.set(t.role, (byRole.get(t.role) ?? 0) + t.last);
      continue;
    }
    t.last = now;
    byRole.set(t.role, (byRole.get(t.role) ?? 0) + now);
  }
  if (byRole.size === 0) return byRole;
  const usage = process.cpuUsage();
  const processSeconds = (usage.user + usage.system) / 1e6;
  let named = 0;
  for (const seconds of byRole.values()) named += seconds;
  other = Math.max(other, processSeconds - named);
  byRole.set('other', other);
  return byRole;
}
