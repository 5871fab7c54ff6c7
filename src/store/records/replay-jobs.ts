import type { Db } from '../database.js';
import { newId } from '../ids.js';
import { loadActivities } from '../inbox/activity.js';

/** Replay jobs requested at X, tracked until X reports them complete. */

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
