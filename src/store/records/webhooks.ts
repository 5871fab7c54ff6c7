import type { Db } from '../database.js';

/** The webhooks registered at X, mirrored from X's list, with the outcome of their last validation (X's CRC check). */

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
