import { inOwnBuffer } from '../../runtime/owned-buffer.js';
import { newId } from '../ids.js';
import { deliveriesToLoad, readActivities, type StoredActivity, type StoredBodyRow } from '../inbox/activity.js';
import { decodeBody } from '../inbox/body-codec.js';
import type { AttemptRecord, ClaimOptions, EventOutcome, HandlerRunRow, QueuedEvent } from '../queue/types.js';
import {
  FOLLOWERS_SQL,
  followersPerUser,
  headWindow,
  HeadPicker,
  NO_USER_SQL,
  takeableFollowers,
  USER_HEADS_SQL,
  WINDOW_SQL,
  type HeadRow,
} from '../queue/per-user-runs.js';
import { CLAIM_COLUMNS, DUE_EVENTS_SQL, storedActivity, toQueuedEvent, type EventRow } from '../queue/rows.js';
import { settleEvents } from '../queue/event-settlement.js';
import { sqliteTime, type Connection } from './connection.js';

type Row = EventRow;

function toRun(r: Row): HandlerRunRow {
  return {
    id: String(r.id),
    eventId: String(r.event_id),
    handler: String(r.handler),
    state: String(r.state) as HandlerRunRow['state'],
    attempts: Number(r.attempts),
    nextAttemptAt: new Date(String(r.next_attempt_at)),
  };
}

/**
 * The claim without per-user order: the same due events as the Prisma queue claims (queue/rows.ts),
 * leased. Placeholders: owner, lease until, now, now, limit.
 */
export const CLAIM_DUE_SQL = `
    UPDATE events SET lease_owner = ?, lease_until = ?
    WHERE id IN (${DUE_EVENTS_SQL})
    RETURNING ${CLAIM_COLUMNS}`;

/**
 * The work queue on the writer's own connection: the same rows and rules as the Prisma queue
 * (queue/prisma-queue.ts), as synchronous prepared statements that run inside the writer's
 * transactions, so that claims and outcomes share commits with deliveries.
 */
export function queueStatements(db: Connection) {
  const bodyOf = db.prepare('SELECT body, body_encoding AS bodyEncoding, event_count AS eventCount FROM deliveries WHERE id = ?');
  const claimAny = db.prepare(CLAIM_DUE_SQL);
  const headsInWindow = db.prepare(WINDOW_SQL);
  const headsByUser = db.prepare(USER_HEADS_SQL);
  const withoutUser = db.prepare(NO_USER_SQL);
  const leaseIds = db.prepare(`
    UPDATE events SET lease_owner = ?, lease_until = ?
    WHERE id IN (SELECT value FROM json_each(?)) AND state = 'pending'
    RETURNING ${CLAIM_COLUMNS}`);
  const followers = db.prepare(FOLLOWERS_SQL);
  const leaseOne = db.prepare(`
    UPDATE events SET lease_owner = ?, lease_until = ?
    WHERE id = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until < ?)
    RETURNING ${CLAIM_COLUMNS}`);

  /** Per-user order: the users' heads that are due and free (queue/per-user-runs.ts), leased. */
  const picker = new HeadPicker();
  function claimHeads(o: ClaimOptions, now: string, until: string): Row[] {
    const window = headsInWindow.all(now, now, headWindow(o.limit)) as HeadRow[];
    const beyond = picker.beyondWindow(window, o.limit);
    const byUser: HeadRow[] = [];
    for (const after of beyond ? picker.userPasses() : []) {
      if (byUser.length < o.limit) byUser.push(...(headsByUser.all(after, now, now, o.limit) as HeadRow[]));
    }
    const noUser = beyond ? (withoutUser.all(now, now, o.limit) as HeadRow[]) : [];
    const ids = picker.choose(window, o.limit, byUser, noUser);
    return ids.length ? (leaseIds.all(o.owner, until, JSON.stringify(ids)) as Row[]) : [];
  }

  /** Per-user order: each claimed head's followers, as many as the room leaves (queue/per-user-runs.ts). */
  function withFollowers(heads: Row[], o: ClaimOptions, now: string, until: string): Row[] {
    const share = followersPerUser(o.limit, heads.length);
    if (share === 0) return heads;
    const rows = [...heads];
    for (const head of heads) {
      const want = Math.min(share, o.limit - rows.length);
      if (want <= 0 || head.for_user_id == null) continue;
      const ids = takeableFollowers(followers.all(now, now, head.for_user_id, head.id, want) as Array<{ id: unknown; free: unknown }>);
      for (const id of ids) {
        const row = leaseOne.get(o.owner, until, id, now) as Row | undefined;
        if (!row) break;
        rows.push(row);
      }
    }
    return rows;
  }
  const insertRun = db.prepare(`
    INSERT INTO handler_runs (id, event_id, handler, state, attempts, next_attempt_at)
    VALUES (?, ?, ?, 'pending', 0, ?) ON CONFLICT (event_id, handler) DO NOTHING`);
  const runsOf = db.prepare('SELECT id, event_id, handler, state, attempts, next_attempt_at FROM handler_runs WHERE event_id = ?');
  const runDone = db.prepare(`
    UPDATE handler_runs SET state = 'done', attempts = ?, completed_at = ?, completed_by = ?, started_at = ?, last_error = NULL
    WHERE id = ? AND state = 'pending'`);
  const runFailed = db.prepare(`
    UPDATE handler_runs SET state = ?, attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ? AND state = 'pending'`);
  const insertAttempt = db.prepare(`
    INSERT INTO handler_attempts (id, run_id, attempt, worker, started_at, finished_at, outcome, error)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertDeadLetter = db.prepare(`
    INSERT INTO dead_letters (id, event_id, handler, attempts, error, dead_at) VALUES (?, ?, ?, ?, ?, ?)`);
  const eventDone = db.prepare(`
    UPDATE events SET state = 'done', completed_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?`);
  const eventLater = db.prepare(`
    UPDATE events SET available_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?`);
  const release = db.prepare('UPDATE events SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?');
  const renew = db.prepare('UPDATE events SET lease_until = ? WHERE id = ? AND lease_owner = ?');

  return {
    claim(o: ClaimOptions): QueuedEvent[] {
      const now = sqliteTime(o.now);
      const until = sqliteTime(new Date(o.now.getTime() + o.leaseMs));
      const rows = o.perUserOrder
        ? withFollowers(claimHeads(o, now, until), o, now, until)
        : (claimAny.all(o.owner, until, now, now, o.limit) as Row[]);
      const refs = rows.map(storedActivity);
      const bodies = new Map(deliveriesToLoad(refs).map((id) => [id, bodyOf.get(id) as StoredBodyRow & { eventCount: number }]));
      // An event that is its delivery's only activity goes with the body, as a pushed event does:
      // the dispatcher parses it when a handler reads it, instead of this thread parsing the body
      // and writing the activity out as text. A delivery of several activities is parsed here
      // once for all of them (the dispatcher would parse the body once per activity).
      const withBody = refs.map((ref) => {
        const stored = ref.payload === null && ref.activityIndex !== null ? bodies.get(ref.deliveryId) : undefined;
        return stored && Number(stored.eventCount) === 1 ? inOwnBuffer(decodeBody(stored.body, stored.bodyEncoding)) : undefined;
      });
      const rest: StoredActivity[] = refs.filter((_, i) => !withBody[i]);
      const texts = rest.length ? readActivities(rest, bodies) : [];
      let next = 0;
      return rows
        .map((r, i) => {
          const body = withBody[i];
          return body
            ? { ...toQueuedEvent(r, { payload: null, sideObjects: null }), activity: { body, index: refs[i]!.activityIndex! } }
            : toQueuedEvent(r, texts[next++]!);
        })
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },

    ensureRuns(wanted: Array<{ eventId: string; handlers: string[] }>, now: Date): HandlerRunRow[] {
      const at = sqliteTime(now);
      for (const w of wanted) for (const h of w.handlers) insertRun.run(newId(now.getTime()), w.eventId, h, at);
      return wanted.flatMap((w) => (runsOf.all(w.eventId) as Row[]).map(toRun));
    },

    recordOutcomes(outcomes: EventOutcome[]): void {
      for (const o of outcomes) {
        for (const r of o.runs) {
          const attempt = r.run.attempts + 1;
          const finished = sqliteTime(r.finishedAt);
          const dead = !r.ok && r.retryAt === null;
          const started = sqliteTime(r.startedAt);
          const changed = r.ok
            ? runDone.run(attempt, finished, o.worker, started, r.run.id).changes
            : runFailed.run(dead ? 'dead' : 'pending', attempt, r.error, sqliteTime(r.retryAt ?? r.finishedAt), r.run.id).changes;
          // The try that completed the run is recorded on the run itself (no attempt row).
          if (r.ok && changed === 1) continue;
          insertAttempt.run(
            newId(r.startedAt.getTime()),
            r.run.id,
            attempt,
            o.worker,
            started,
            finished,
            // A success whose run another process completed first (this lease had run out): 'expired'.
            r.ok ? 'expired' : 'failed',
            r.ok ? null : r.error,
          );
          if (dead && changed === 1) {
            insertDeadLetter.run(newId(r.finishedAt.getTime()), r.run.eventId, r.run.handler, attempt, r.error, finished);
          }
        }
      }
      for (const e of settleEvents(outcomes)) {
        if (e.nextAt === null) eventDone.run(sqliteTime(e.now), e.eventId, e.owner);
        else eventLater.run(sqliteTime(e.nextAt), e.eventId, e.owner);
      }
    },

    renew(eventIds: string[], owner: string, until: Date): void {
      const at = sqliteTime(until);
      for (const id of eventIds) renew.run(at, id, owner);
    },

    release(eventIds: string[], owner: string): void {
      for (const id of eventIds) release.run(id, owner);
    },

    recordReleasedAttempt(a: AttemptRecord): void {
      insertAttempt.run(
        newId(a.startedAt.getTime()),
        a.run.id,
        a.run.attempts + 1,
        a.worker,
        sqliteTime(a.startedAt),
        sqliteTime(a.finishedAt),
        'released',
        null,
      );
    },
  };
}

export type QueueStatements = ReturnType<typeof queueStatements>;
