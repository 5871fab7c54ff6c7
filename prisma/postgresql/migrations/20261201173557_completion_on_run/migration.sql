-- AlterTable
ALTER TABLE "handler_runs" ADD COLUMN     "completed_by" TEXT,
ADD COLUMN     "started_at" TIMESTAMP(3);
