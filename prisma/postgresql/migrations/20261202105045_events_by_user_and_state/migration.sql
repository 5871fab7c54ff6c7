-- DropIndex
DROP INDEX "events_for_user_id_received_at_idx";

-- CreateIndex
CREATE INDEX "events_for_user_id_state_id_idx" ON "events"("for_user_id", "state", "id");
