import type { Db } from './database.js';
import { decodeBody } from './inbox/body-codec.js';

/** What arrived for one user since a time, by API: for `xaa migrate status`. */
export interface UserMigrationActivity {
  userId: string;
  /** Events whose first delivery came by AAA / by XAA. */
  aaaEvents: number;
  xaaEvents: number;
  /** Later deliveries of those same events (either API): absorbed, never handled twice. */
  duplicates: number;
  /** XAA deliveries for this user (new or duplicate): proof XAA reaches the receiver for them. */
  xaaDeliveries: number;
}

/** The user an XAA delivery body is for: data.filter.user_id (oauth.revoke: data.payload.user_id). */
function xaaUserOf(body: Buffer): string | null {
  try {
    const data = (JSON.parse(body.toString('utf8')) as { data?: { filter?: { user_id?: unknown }; payload?: { user_id?: unknown } } }).data;
    const id = data?.filter?.user_id ?? data?.payload?.user_id;
    return typeof id === 'string' ? id : typeof id === 'number' ? String(id) : null;
  } catch {
    return null;
  }
}

/**
 * Per user, what arrived since `since`: events first delivered by AAA and by XAA, the
 * duplicates absorbed, and the XAA deliveries (read from the stored bodies, since a duplicate
 * delivery is not linked to an event).
 */
export async function migrationActivity(prisma: Db, since: Map<string, Date>): Promise<UserMigrationActivity[]> {
  const out = new Map<string, UserMigrationActivity>();
  for (const userId of since.keys()) out.set(userId, { userId, aaaEvents: 0, xaaEvents: 0, duplicates: 0, xaaDeliveries: 0 });
  if (since.size === 0) return [];
  const earliest = new Date(Math.min(...[...since.values()].map((d) => d.getTime())));
  const events = await prisma.event.findMany({
    where: { forUserId: { in: [...since.keys()] }, receivedAt: { gte: earliest } },
    select: { forUserId: true, format: true, receivedAt: true, duplicateCount: true },
  });
  for (const e of events) {
    const row = out.get(e.forUserId!)!;
    if (e.receivedAt < since.get(e.forUserId!)!) continue;
    if (e.format === 'aaa') row.aaaEvents++;
    else if (e.format === 'xaa') row.xaaEvents++;
    row.duplicates += e.duplicateCount;
  }
  let cursor: string | undefined;
  for (;;) {
    const page = await prisma.delivery.findMany({
      where: { format: 'xaa', receivedAt: { gte: earliest } },
      select: { id: true, body: true, bodyEncoding: true, receivedAt: true },
      orderBy: { id: 'asc' },
      take: 500,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    for (const d of page) {
      const userId = xaaUserOf(decodeBody(d.body, d.bodyEncoding));
      const row = userId ? out.get(userId) : undefined;
      if (row && d.receivedAt >= since.get(userId!)!) row.xaaDeliveries++;
    }
    if (page.length < 500) break;
    cursor = page[page.length - 1]!.id;
  }
  return [...out.values()];
}
