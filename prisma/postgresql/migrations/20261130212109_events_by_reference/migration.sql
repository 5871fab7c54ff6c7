-- DropIndex
DROP INDEX "handler_runs_state_next_attempt_at_idx";

-- AlterTable
ALTER TABLE "events" ADD COLUMN     "activity_index" INTEGER,
ALTER COLUMN "payload" DROP NOT NULL;

-- AlterTable
ALTER TABLE "handler_runs" DROP COLUMN "lease_owner",
DROP COLUMN "lease_until";
