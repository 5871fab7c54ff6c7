-- DropIndex
DROP INDEX "events_for_user_id_state_id_idx";

-- CreateIndex
CREATE INDEX "events_state_for_user_id_id_idx" ON "events"("state", "for_user_id", "id");
