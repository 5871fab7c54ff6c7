-- DropIndex
DROP INDEX "events_state_available_at_id_idx";

-- DropIndex
DROP INDEX "events_state_for_user_id_id_idx";

-- CreateIndex
CREATE INDEX "events_state_available_at_id_idx" ON "events"("state", "available_at", "id") WHERE (state = 'pending');

-- CreateIndex
CREATE INDEX "events_state_for_user_id_id_idx" ON "events"("state", "for_user_id", "id") WHERE (state = 'pending');

-- CreateIndex
CREATE INDEX "events_stale_idx" ON "events"("id") WHERE (state = 'stale');
