import { Inbox, recordDeliveries, type Database, type InboxOptions, type RecordedDelivery } from '../store/index.js';
import { IngestThread } from './ingest-thread/client.js';
import { prepareDelivery, type RawDelivery } from './prepare.js';

export type DeliveryInbox = Inbox<RawDelivery, RecordedDelivery>;

/**
 * The inbox for verified deliveries, with group commit. SQLite: parsing and writing happen on
 * the ingest thread. PostgreSQL: parsing here, writing through Prisma (its driver is async).
 */
export function openDeliveryInbox(db: Database, options: InboxOptions = {}): DeliveryInbox {
  if (db.provider === 'sqlite' && db.config.file) {
    const thread = new IngestThread({
      file: db.config.file,
      synchronous: db.config.sqliteSynchronous,
      busyTimeoutMs: db.config.busyTimeoutMs,
    });
    return new Inbox((raws: RawDelivery[]) => thread.write(raws), options, () => thread.close());
  }
  return new Inbox((raws: RawDelivery[]) => recordDeliveries(db.prisma, raws.map(prepareDelivery)), options);
}
