-- CreateIndex (before the old one is dropped: on PostgreSQL, reads of events go on while it builds)
CREATE INDEX "events_state_available_at_id_idx" ON "events"("state", "available_at", "id");

-- DropIndex
DROP INDEX "events_state_available_at_idx";
