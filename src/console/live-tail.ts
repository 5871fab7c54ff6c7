import type { Database, EventStatus } from '../store/index.js';
import { eventStatus } from '../store/index.js';

/**
 * The live tail: new deliveries and events as the store records them. While at least one
 * browser listens, the store is read once a second for rows received since the last read (with a
 * margin: rows committed out of order are not missed; ids already sent are remembered), and the
 * events sent in the last ten minutes are read again by id so that their state changes (done,
 * failing, dead) follow. Nothing is added to the webhook's path. Each listener has its filters.
 */

export interface TailEvent {
  id: string;
  type: string;
  action: string | null;
  forUserId: string | null;
  format: string;
  status: EventStatus;
  receivedAt: string;
}

export interface TailDelivery {
  id: string;
  format: string;
  status: string;
  eventCount: number;
  receivedAt: string;
}

export interface TailFilter {
  type?: string;
  user?: string;
  format?: string;
  state?: string;
}

export type TailItem = { kind: 'event'; data: TailEvent } | { kind: 'delivery'; data: TailDelivery };

export interface LiveTail {
  /** Starts sending what arrives from now on; returns the unsubscribe function. */
  subscribe(filter: TailFilter, send: (item: TailItem) => void): () => void;
  readonly listeners: number;
  close(): void;
}

/** Whether an item passes the filters (type, user and state concern events; format both). */
export function matches(item: TailItem, f: TailFilter): boolean {
  if (f.format && item.data.format !== f.format) return false;
  if (item.kind === 'delivery') return !f.type && !f.user && !f.state;
  return (!f.type || item.data.type === f.type) && (!f.user || item.data.forUserId === f.user) && (!f.state || item.data.status === f.state);
}

const MARGIN_MS = 10_000;
const WATCH_MS = 10 * 60_000;
const WATCH_MAX = 500;
/** Rows of each kind one read takes: the newest of the window. */
const READ_MAX = 500;

export function createLiveTail(db: Database, intervalMs = 1_000): LiveTail {
  const listeners = new Map<number, { filter: TailFilter; send: (item: TailItem) => void }>();
  let nextId = 0;
  let timer: NodeJS.Timeout | undefined;
  let since = new Date();
  /** Ids sent, with their received time (forgotten once past the margin). */
  const sent = new Map<string, number>();
  let reading = false;
  /** Events sent in the last WATCH_MS (at most WATCH_MAX): their state changes are sent too. */
  const watched = new Map<string, { status: EventStatus; sentAt: number }>();

  async function read(): Promise<void> {
    if (reading) return;
    reading = true;
    try {
      const from = new Date(since.getTime() - MARGIN_MS);
      const readAt = new Date();
      // The newest rows of the window, sent oldest first. Read from the oldest, a window holding
      // more than one read's rows (over ~45 a second) gave back rows already sent, and the tail
      // showed nothing new for as long as the rate lasted; above a read's rows a second, the tail
      // now skips the rows in between (a person reads far fewer, and the page keeps fewer).
      const [deliveries, events] = await Promise.all([
        db.prisma.delivery.findMany({
          where: { receivedAt: { gte: from } },
          orderBy: { id: 'desc' },
          take: READ_MAX,
          select: { id: true, format: true, status: true, eventCount: true, receivedAt: true },
        }),
        db.prisma.event.findMany({
          where: { receivedAt: { gte: from } },
          orderBy: { id: 'desc' },
          take: READ_MAX,
          select: { id: true, type: true, action: true, forUserId: true, format: true, state: true, receivedAt: true, runs: { select: { state: true, attempts: true } } },
        }),
      ]);
      deliveries.reverse();
      events.reverse();
      const items: TailItem[] = [];
      for (const d of deliveries) {
        if (sent.has(d.id)) continue;
        sent.set(d.id, d.receivedAt.getTime());
        items.push({ kind: 'delivery', data: { id: d.id, format: d.format, status: d.status, eventCount: d.eventCount, receivedAt: d.receivedAt.toISOString() } });
      }
      for (const e of events) {
        if (sent.has(e.id)) continue;
        sent.set(e.id, e.receivedAt.getTime());
        items.push({
          kind: 'event',
          data: { id: e.id, type: e.type, action: e.action, forUserId: e.forUserId, format: e.format, status: eventStatus(e.state, e.runs), receivedAt: e.receivedAt.toISOString() },
        });
      }
      for (const [id, at] of sent) if (at < from.getTime()) sent.delete(id);
      // State changes of the events sent lately (pending -> done, failing, dead): read by id.
      const watchedIds = [...watched.keys()];
      if (watchedIds.length) {
        const rows = await db.prisma.event.findMany({
          where: { id: { in: watchedIds } },
          select: { id: true, type: true, action: true, forUserId: true, format: true, state: true, receivedAt: true, runs: { select: { state: true, attempts: true } } },
        });
        for (const e of rows) {
          const w = watched.get(e.id)!;
          const status = eventStatus(e.state, e.runs);
          if (status === w.status) continue;
          w.status = status;
          items.push({
            kind: 'event',
            data: { id: e.id, type: e.type, action: e.action, forUserId: e.forUserId, format: e.format, status, receivedAt: e.receivedAt.toISOString() },
          });
        }
      }
      for (const item of items) {
        if (item.kind === 'event' && !watched.has(item.data.id)) watched.set(item.data.id, { status: item.data.status, sentAt: readAt.getTime() });
      }
      for (const [id, w] of watched) if (w.sentAt < readAt.getTime() - WATCH_MS) watched.delete(id);
      while (watched.size > WATCH_MAX) watched.delete(watched.keys().next().value!);
      since = readAt;
      for (const item of items) for (const l of listeners.values()) if (matches(item, l.filter)) l.send(item);
    } catch {
      // The store is unavailable for a moment: the next read covers the same interval.
    } finally {
      reading = false;
    }
  }

  return {
    subscribe(filter, send) {
      const id = nextId++;
      if (listeners.size === 0) {
        // Nothing before this moment is sent: the page shows what was there already.
        since = new Date();
        sent.clear();
        watched.clear();
        timer = setInterval(() => void read(), intervalMs);
        timer.unref();
      }
      listeners.set(id, { filter, send });
      return () => {
        listeners.delete(id);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    get listeners() {
      return listeners.size;
    },
    close() {
      listeners.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
