-- DropIndex
DROP INDEX "events_state_available_at_idx";

-- CreateIndex
CREATE INDEX "events_state_available_at_id_idx" ON "events"("state", "available_at", "id");
