import type { Db } from '../database.js';
import { newId } from '../ids.js';

/** AAA user subscriptions and XAA activity subscriptions, mirrored from X. */

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
