// The SQLite writer thread: the one connection of this process that writes to the database.
// Deliveries from the HTTP server (parsed and normalized here, off the event loop) and the
// dispatcher's claims, outcomes and leases all go through it, so they never queue behind each
// other on SQLite's single write lock: whatever arrived together is committed in one
// transaction (one fsync). New events are stored leased to the attached dispatcher and handed to
// it straight from the commit.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { prepareDelivery } from '../../normalize/prepare.js';
import { ChurnMap } from '../../runtime/churn-map.js';
import { ownsItsBuffer } from '../../runtime/owned-buffer.js';
import { osThreadId } from '../../runtime/thread-cpu.js';
import type { DeliveryInput } from '../inbox/types.js';
import type { EventOutcome, PushedWork, QueuedEvent } from '../queue/types.js';
import { openConnection, type Connection } from './connection.js';
import { deliveryStatements, type Attached } from './deliveries.js';
import type { FromThread, FromWriter, QueueOp, ThreadSettings, ToThread, ToWriter } from './protocol.js';
import { queueStatements, type QueueStatements } from './queue.js';

const port = parentPort!;

interface Job {
  run(): unknown;
  done(result: unknown): void;
  fail(error: unknown): void;
}

function errorOf(error: unknown): { message: string; code?: string } {
  const e = error as { message?: string; code?: string };
  return { message: String(e?.message ?? error), ...(e?.code ? { code: e.code } : {}) };
}

let db: Connection;
let writeDeliveries: ReturnType<typeof deliveryStatements>;
let queue: QueueStatements;
try {
  const settings = workerData as ThreadSettings;
  db = openConnection(settings);
  writeDeliveries = deliveryStatements(db, { dedupeWindowMs: settings.dedupeWindowMs });
  queue = queueStatements(db);
} catch (error) {
  port.postMessage({ fatal: String((error as Error).message) } satisfies FromThread);
  throw error;
}

let attached: (Attached & { port: MessagePort }) | undefined;
const dispatchPorts = new Set<MessagePort>();
const jobs: Job[] = [];
let scheduled = false;

function enqueue(job: Job): void {
  jobs.push(job);
  if (scheduled) return;
  scheduled = true;
  // Messages that arrived together (deliveries, outcomes, claims) share one transaction.
  setImmediate(flush);
}

function commit(batch: Job[]): unknown[] {
  return db.transaction(() => batch.map((j) => j.run()))();
}

function flush(): void {
  scheduled = false;
  const batch = jobs.splice(0);
  if (batch.length === 0) return;
  try {
    const results = commit(batch);
    batch.forEach((j, i) => j.done(results[i]));
    return;
  } catch (error) {
    if (batch.length === 1) return batch[0]!.fail(error);
    // One bad job, or is the database unavailable? The first alone tells: if it fails too, every
    // job fails at once rather than each waiting out the busy timeout.
    const [first, ...rest] = batch;
    try {
      first!.done(commit([first!])[0]);
    } catch (e) {
      first!.fail(e);
      for (const j of rest) j.fail(error);
      return;
    }
    for (const j of rest) {
      try {
        j.done(commit([j])[0]);
      } catch (e) {
        j.fail(e);
      }
    }
  }
}

function deliveriesJob(id: number, deliveries: DeliveryInput[]): Job {
  const target = attached;
  return {
    run: () => writeDeliveries(deliveries, target),
    done(result) {
      const { results, pushed } = result as ReturnType<typeof writeDeliveries>;
      port.postMessage({ id, ok: true, results } satisfies FromThread);
      if (pushed.length && target && attached === target) {
        for (const p of pushed) target.outstanding.set(p.event.id, true);
        target.port.postMessage({ pushed } satisfies FromWriter, bodiesOf(pushed));
      }
    },
    fail: (error) => port.postMessage({ id, ok: false, error: errorOf(error) } satisfies FromThread),
  };
}

/**
 * The delivery bodies that pushed or claimed events carry, to be moved to the dispatcher rather
 * than copied: each is in its own buffer (a pushed event's came from the HTTP thread, a claimed
 * one's was read for the claim), and once its commit is done the writer no longer reads it (the
 * buffer is left empty here).
 */
function bodiesOf(pushed: Array<Pick<PushedWork, 'event'>>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const p of pushed) {
    const body = p.event.activity?.body;
    if (body && ownsItsBuffer(body)) buffers.add(body.buffer);
  }
  return [...buffers];
}

/** Event ids whose leases an operation gives up: pushed work that is settled. */
function settledBy(op: QueueOp, args: unknown[]): string[] {
  if (op === 'recordOutcomes') return (args[0] as EventOutcome[]).map((o) => o.eventId);
  if (op === 'release') return args[0] as string[];
  return [];
}

function attachDispatcher(dispatchPort: MessagePort): void {
  dispatchPorts.add(dispatchPort);
  const mine = { port: dispatchPort, attached: undefined as (Attached & { port: MessagePort }) | undefined };
  dispatchPort.on('message', (message: ToWriter) => {
    if ('attach' in message) {
      mine.attached = { plan: message.attach, outstanding: new ChurnMap(), port: dispatchPort };
      attached = mine.attached;
      return;
    }
    const { call, op, args } = message;
    const fn = queue[op] as (...a: unknown[]) => unknown;
    enqueue({
      run: () => fn(...args),
      done(result) {
        for (const id of settledBy(op, args)) mine.attached?.outstanding.delete(id);
        const transfer = op === 'claim' ? bodiesOf((result as QueuedEvent[]).map((event) => ({ event }))) : [];
        dispatchPort.postMessage({ reply: call, ok: true, result } satisfies FromWriter, transfer);
      },
      fail: (error) => dispatchPort.postMessage({ reply: call, ok: false, error: errorOf(error) } satisfies FromWriter),
    });
  });
  dispatchPort.on('close', () => {
    dispatchPorts.delete(dispatchPort);
    if (attached === mine.attached) attached = undefined;
  });
}

port.on('message', (message: ToThread) => {
  if (message === 'close') {
    flush();
    db.close();
    for (const p of dispatchPorts) p.close();
    port.close();
    return;
  }
  if ('dispatchPort' in message) return attachDispatcher(message.dispatchPort);
  let deliveries: DeliveryInput[];
  try {
    deliveries = message.raws.map(prepareDelivery);
  } catch (error) {
    port.postMessage({ id: message.id, ok: false, error: errorOf(error) } satisfies FromThread);
    return;
  }
  enqueue(deliveriesJob(message.id, deliveries));
});
port.postMessage({ ready: true, tid: osThreadId() } satisfies FromThread);
