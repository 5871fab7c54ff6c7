import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { RawDelivery, RecordedDelivery } from '../store/index.js';

/** The inbox webhook deliveries go through (the stream writes its lines into it). */
export interface StreamInbox {
  write(raw: RawDelivery): Promise<RecordedDelivery>;
}

/**
 * Stores one event line through the inbox, as a delivery of source `stream` (received once
 * committed; the inbox's dedupe absorbs what also came by webhook or in a backfill), and counts
 * its events by outcome in xaa_stream_events_total and the webhook's events counter. Rejects
 * when the inbox does: the line is then not stored.
 */
export async function storeEventLine(
  { inbox, metrics, logger }: { inbox: StreamInbox; metrics: Metrics; logger: Logger },
  line: Buffer,
  receivedAt: Date,
): Promise<void> {
  const recorded = await inbox.write({
    receivedAt,
    body: line,
    contentType: 'application/json',
    userAgent: null,
    remoteAddr: null,
    source: 'stream',
  });
  if (recorded.status === 'unparseable') {
    metrics.streamEvents.inc({ outcome: 'unparseable' });
    logger.warn({ delivery: recorded.deliveryId }, 'stream: a line is not processable JSON: kept as an unparseable delivery');
    return;
  }
  const counts = [
    ['new', recorded.newEventIds.length],
    ['duplicate', recorded.duplicates],
    ['stale', recorded.stale],
  ] as const;
  for (const [outcome, n] of counts) {
    if (!n) continue;
    metrics.streamEvents.inc({ outcome }, n);
    metrics.events.inc({ outcome }, n);
  }
}
