-- The events' two queue indexes become partial (pending events only), and stale events get a
-- small index of their own. The new indexes are built first, under temporary names, and the old
-- ones dropped only then: while they are built, reads of events go on (writes wait); the drops,
-- which lock the table, come last and are quick. One transaction: all or nothing.

-- CreateIndex
CREATE INDEX "events_state_available_at_id_idx_pending" ON "events"("state", "available_at", "id") WHERE (state = 'pending');

-- CreateIndex
CREATE INDEX "events_state_for_user_id_id_idx_pending" ON "events"("state", "for_user_id", "id") WHERE (state = 'pending');

-- CreateIndex
CREATE INDEX "events_stale_idx" ON "events"("id") WHERE (state = 'stale');

-- DropIndex
DROP INDEX "events_state_available_at_id_idx";

-- DropIndex
DROP INDEX "events_state_for_user_id_id_idx";

-- RenameIndex
ALTER INDEX "events_state_available_at_id_idx_pending" RENAME TO "events_state_available_at_id_idx";

-- RenameIndex
ALTER INDEX "events_state_for_user_id_id_idx_pending" RENAME TO "events_state_for_user_id_id_idx";
