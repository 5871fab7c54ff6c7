import type { Db } from './database.js';
import { newId } from './ids.js';
import { deliveriesToLoad, readActivities, type StoredActivity } from './inbox/activity.js';

/**
 * Records of the management side, mirrored from X: webhooks, AAA and XAA subscriptions, replay
 * jobs (tracked until X reports them complete); and the operator's views of the local store:
 * events, their handler runs and dead letters.
 */

// ---------------------------------------------------------------- webhooks

export interface WebhookRecord {
  id: string;
  url: string;
  valid: boolean;
  createdAt: Date | null;
  syncedAt: Date;
  lastError: string | null;
}

export async function upsertWebhookRecord(prisma: Db, w: Omit<WebhookRecord, 'lastError'> & { lastError?: string | null }): Promise<WebhookRecord> {
  const data = { url: w.url, valid: w.valid, createdAt: w.createdAt, syncedAt: w.syncedAt, ...(w.lastError !== undefined ? { lastError: w.lastError } : {}) };
  return prisma.webhook.upsert({ where: { id: w.id }, create: { id: w.id, lastError: null, ...data }, update: data });
}

/** Makes the mirror equal to X's list: upserts these, deletes the records X no longer has. */
export async function replaceWebhookRecords(prisma: Db, list: Array<Omit<WebhookRecord, 'syncedAt' | 'lastError'>>, syncedAt: Date): Promise<WebhookRecord[]> {
  const out: WebhookRecord[] = [];
  for (const w of list) {
    // A webhook that is valid again has no current error.
    out.push(await upsertWebhookRecord(prisma, { ...w, syncedAt, ...(w.valid ? { lastError: null } : {}) }));
  }
  await prisma.webhook.deleteMany({ where: { id: { notIn: list.map((w) => w.id) } } });
  return out;
}

export async function setWebhookValidity(prisma: Db, id: string, valid: boolean, lastError: string | null, at: Date): Promise<void> {
  await prisma.webhook.updateMany({ where: { id }, data: { valid, lastError, syncedAt: at } });
}

export async function deleteWebhookRecord(prisma: Db, id: string): Promise<void> {
  await prisma.webhook.deleteMany({ where: { id } });
}

export async function listWebhookRecords(prisma: Db): Promise<WebhookRecord[]> {
  return prisma.webhook.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

// ---------------------------------------------------------------- subscriptions

export interface SubscriptionRecord {
  id: string;
  kind: 'aaa' | 'xaa';
  webhookId: string;
  userId: string | null;
  xId: string | null;
  eventType: string | null;
  filter: string | null;
  tag: string | null;
  status: 'active' | 'removed';
  createdAt: Date;
  updatedAt: Date;
}

type SubRow = Awaited<ReturnType<Db['subscription']['findFirstOrThrow']>>;
const sub = (r: SubRow) => r as SubscriptionRecord;

/** An AAA user subscription: created, or its status changed. */
export async function upsertAaaSubscription(
  prisma: Db,
  s: { webhookId: string; userId: string; status: 'active' | 'removed'; at: Date },
): Promise<SubscriptionRecord> {
  const existing = await prisma.subscription.findFirst({ where: { kind: 'aaa', webhookId: s.webhookId, userId: s.userId } });
  if (existing) {
    if (existing.status === s.status) return sub(existing);
    return sub(await prisma.subscription.update({ where: { id: existing.id }, data: { status: s.status, updatedAt: s.at } }));
  }
  return sub(
    await prisma.subscription.create({
      data: { id: newId(s.at.getTime()), kind: 'aaa', webhookId: s.webhookId, userId: s.userId, status: s.status, createdAt: s.at, updatedAt: s.at },
    }),
  );
}

/** X's list of subscribed users of a webhook: those are active, every other AAA record of it is removed. */
export async function syncAaaSubscriptions(prisma: Db, webhookId: string, userIds: string[], at: Date): Promise<SubscriptionRecord[]> {
  for (const userId of userIds) await upsertAaaSubscription(prisma, { webhookId, userId, status: 'active', at });
  await prisma.subscription.updateMany({
    where: { kind: 'aaa', webhookId, status: 'active', userId: { notIn: userIds } },
    data: { status: 'removed', updatedAt: at },
  });
  return listSubscriptionRecords(prisma, { kind: 'aaa', webhookId });
}

export interface XaaSubscriptionInput {
  xId: string;
  webhookId: string;
  eventType: string;
  filter: Record<string, unknown>;
  tag: string | null;
  status: 'active' | 'removed';
  at: Date;
}

export async function upsertXaaSubscription(prisma: Db, s: XaaSubscriptionInput): Promise<SubscriptionRecord> {
  const userId = typeof s.filter.user_id === 'string' ? s.filter.user_id : null;
  const fields = { webhookId: s.webhookId, eventType: s.eventType, filter: JSON.stringify(s.filter), tag: s.tag, userId, status: s.status, updatedAt: s.at };
  return sub(
    await prisma.subscription.upsert({
      where: { xId: s.xId },
      create: { id: newId(s.at.getTime()), kind: 'xaa', xId: s.xId, createdAt: s.at, ...fields },
      update: fields,
    }),
  );
}

export async function markXaaSubscriptionRemoved(prisma: Db, xId: string, at: Date): Promise<void> {
  await prisma.subscription.updateMany({ where: { xId }, data: { status: 'removed', updatedAt: at } });
}

/** X's full list of activity subscriptions: upserted; records X no longer has are removed. */
export async function syncXaaSubscriptions(prisma: Db, list: Array<Omit<XaaSubscriptionInput, 'status' | 'at'>>, at: Date): Promise<SubscriptionRecord[]> {
  for (const s of list) await upsertXaaSubscription(prisma, { ...s, status: 'active', at });
  await prisma.subscription.updateMany({
    where: { kind: 'xaa', status: 'active', xId: { notIn: list.map((s) => s.xId) } },
    data: { status: 'removed', updatedAt: at },
  });
  return listSubscriptionRecords(prisma, { kind: 'xaa' });
}

export async function listSubscriptionRecords(
  prisma: Db,
  where: { kind?: 'aaa' | 'xaa'; webhookId?: string; status?: 'active' | 'removed' } = {},
): Promise<SubscriptionRecord[]> {
  const rows = await prisma.subscription.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(sub);
}

/** Active subscriptions per kind, from the local mirror. */
export async function countSubscriptionRecords(prisma: Db): Promise<{ aaa: number; xaa: number }> {
  const [aaa, xaa] = await Promise.all([
    prisma.subscription.count({ where: { kind: 'aaa', status: 'active' } }),
    prisma.subscription.count({ where: { kind: 'xaa', status: 'active' } }),
  ]);
  return { aaa, xaa };
}

// ---------------------------------------------------------------- replay jobs

export type ReplayJobStatus = 'requested' | 'complete' | 'incomplete' | 'failed';

export interface ReplayJobRecord {
  id: string;
  kind: 'aaa' | 'xaa';
  xJobId: string | null;
  webhookId: string;
  fromDate: Date;
  toDate: Date;
  status: ReplayJobStatus;
  requestedAt: Date;
  completedAt: Date | null;
  detail: string | null;
}

type JobRow = Awaited<ReturnType<Db['replayJob']['findFirstOrThrow']>>;
const job = (r: JobRow) => r as ReplayJobRecord;

export async function createReplayJob(
  prisma: Db,
  j: Omit<ReplayJobRecord, 'id' | 'completedAt' | 'detail'> & { detail?: string | null; completedAt?: Date | null },
): Promise<ReplayJobRecord> {
  return job(await prisma.replayJob.create({ data: { id: newId(j.requestedAt.getTime()), completedAt: null, detail: null, ...j } }));
}

export async function listReplayJobs(prisma: Db, where: { status?: ReplayJobStatus } = {}): Promise<ReplayJobRecord[]> {
  return (await prisma.replayJob.findMany({ where, orderBy: { requestedAt: 'desc' } })).map(job);
}

/** By our id, or X's job id. */
export async function findReplayJob(prisma: Db, id: string): Promise<ReplayJobRecord | null> {
  const row = await prisma.replayJob.findFirst({ where: { OR: [{ id }, { xJobId: id }] } });
  return row ? job(row) : null;
}

/**
 * Settles replay jobs from the `replay.status` events the receiver stored (X's
 * replay_job_status deliveries): "Complete" -> complete, anything else -> incomplete. Returns the
 * jobs that changed.
 */
export async function reconcileReplayJobs(prisma: Db): Promise<ReplayJobRecord[]> {
  const open = await prisma.replayJob.findMany({ where: { status: 'requested', xJobId: { not: null } } });
  if (open.length === 0) return [];
  const statuses = await prisma.event.findMany({
    where: { type: 'replay.status' },
    orderBy: { receivedAt: 'asc' },
    select: { payload: true, sideObjects: true, deliveryId: true, activityIndex: true, receivedAt: true },
  });
  const activities = await loadActivities(prisma, statuses);
  const byJob = new Map<string, { state: string; description: string | null; at: Date }>();
  for (const [i, e] of statuses.entries()) {
    let p: Record<string, unknown>;
    try {
      p = JSON.parse(activities[i]!.payload) as Record<string, unknown>;
    } catch {
      continue;
    }
    const jobId = p.job_id === undefined || p.job_id === null ? null : String(p.job_id);
    if (!jobId) continue;
    byJob.set(jobId, {
      state: String(p.job_state ?? ''),
      description: typeof p.job_state_description === 'string' ? p.job_state_description : null,
      at: e.receivedAt,
    });
  }
  const changed: ReplayJobRecord[] = [];
  for (const j of open) {
    const s = byJob.get(j.xJobId!);
    if (!s) continue;
    const status: ReplayJobStatus = s.state.toLowerCase() === 'complete' ? 'complete' : 'incomplete';
    const updated = await prisma.replayJob.update({
      where: { id: j.id },
      data: { status, completedAt: s.at, detail: [s.state, s.description].filter(Boolean).join(': ') || null },
    });
    changed.push(job(updated));
  }
  return changed;
}

// ---------------------------------------------------------------- events, runs, dead letters

export interface EventSummary {
  id: string;
  dedupeKey: string;
  type: string;
  action: string | null;
  forUserId: string | null;
  format: string;
  state: string;
  occurredAt: Date | null;
  receivedAt: Date;
  duplicateCount: number;
  completedAt: Date | null;
}

const summarySelect = {
  id: true,
  dedupeKey: true,
  type: true,
  action: true,
  forUserId: true,
  format: true,
  state: true,
  occurredAt: true,
  receivedAt: true,
  duplicateCount: true,
  completedAt: true,
} as const;

export interface EventFilter {
  type?: string;
  state?: string;
  forUserId?: string;
  since?: Date;
  limit?: number;
}

/** Newest first. */
export async function listEvents(prisma: Db, f: EventFilter = {}): Promise<EventSummary[]> {
  return prisma.event.findMany({
    where: {
      ...(f.type ? { type: f.type } : {}),
      ...(f.state ? { state: f.state } : {}),
      ...(f.forUserId ? { forUserId: f.forUserId } : {}),
      ...(f.since ? { receivedAt: { gte: f.since } } : {}),
    },
    orderBy: { id: 'desc' },
    take: f.limit ?? 50,
    select: summarySelect,
  });
}

export interface EventDetail extends EventSummary {
  payload: unknown;
  sideObjects: unknown;
  deliveryId: string;
  runs: Array<{
    handler: string;
    state: string;
    attempts: number;
    nextAttemptAt: Date;
    lastError: string | null;
    completedAt: Date | null;
    history: Array<{ attempt: number; worker: string; startedAt: Date; finishedAt: Date | null; outcome: string | null; error: string | null }>;
  }>;
  deadLetters: Array<{ id: string; handler: string; attempts: number; error: string; deadAt: Date; redrivenAt: Date | null }>;
}

/** The payload and side objects of stored events, those kept by reference read from their delivery. */
export async function loadActivities(prisma: Db, rows: StoredActivity[]) {
  const ids = deliveriesToLoad(rows);
  const bodies = ids.length ? await prisma.delivery.findMany({ where: { id: { in: ids } }, select: { id: true, body: true } }) : [];
  return readActivities(rows, new Map(bodies.map((b) => [b.id, b.body])));
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One event by our id or its dedupe key, with its handler runs, their attempts and dead letters. */
export async function getEvent(prisma: Db, idOrKey: string): Promise<EventDetail | null> {
  const row = await prisma.event.findFirst({
    where: { OR: [{ id: idOrKey }, { dedupeKey: idOrKey }] },
    include: {
      runs: { orderBy: { handler: 'asc' }, include: { history: { orderBy: { startedAt: 'asc' } } } },
      deadLetters: { orderBy: { deadAt: 'asc' } },
    },
  });
  if (!row) return null;
  const [activity] = await loadActivities(prisma, [row]);
  return {
    id: row.id,
    dedupeKey: row.dedupeKey,
    type: row.type,
    action: row.action,
    forUserId: row.forUserId,
    format: row.format,
    state: row.state,
    occurredAt: row.occurredAt,
    receivedAt: row.receivedAt,
    duplicateCount: row.duplicateCount,
    completedAt: row.completedAt,
    deliveryId: row.deliveryId,
    payload: parseJson(activity!.payload),
    sideObjects: parseJson(activity!.sideObjects),
    runs: row.runs.map((r) => ({
      handler: r.handler,
      state: r.state,
      attempts: r.attempts,
      nextAttemptAt: r.nextAttemptAt,
      lastError: r.lastError,
      completedAt: r.completedAt,
      history: r.history.map((h) => ({
        attempt: h.attempt,
        worker: h.worker,
        startedAt: h.startedAt,
        finishedAt: h.finishedAt,
        outcome: h.outcome,
        error: h.error,
      })),
    })),
    deadLetters: row.deadLetters.map((d) => ({ id: d.id, handler: d.handler, attempts: d.attempts, error: d.error, deadAt: d.deadAt, redrivenAt: d.redrivenAt })),
  };
}

export interface DeadLetterRecord {
  id: string;
  eventId: string;
  dedupeKey: string;
  type: string;
  handler: string;
  attempts: number;
  error: string;
  deadAt: Date;
  redrivenAt: Date | null;
}

export async function listDeadLetters(
  prisma: Db,
  f: { handler?: string; includeRedriven?: boolean; limit?: number } = {},
): Promise<DeadLetterRecord[]> {
  const rows = await prisma.deadLetter.findMany({
    where: { ...(f.handler ? { handler: f.handler } : {}), ...(f.includeRedriven ? {} : { redrivenAt: null }) },
    orderBy: { deadAt: 'desc' },
    take: f.limit ?? 50,
    include: { event: { select: { dedupeKey: true, type: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    eventId: r.eventId,
    dedupeKey: r.event.dedupeKey,
    type: r.event.type,
    handler: r.handler,
    attempts: r.attempts,
    error: r.error,
    deadAt: r.deadAt,
    redrivenAt: r.redrivenAt,
  }));
}
