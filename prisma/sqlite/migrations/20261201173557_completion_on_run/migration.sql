-- AlterTable
ALTER TABLE "handler_runs" ADD COLUMN "completed_by" TEXT;
ALTER TABLE "handler_runs" ADD COLUMN "started_at" DATETIME;
