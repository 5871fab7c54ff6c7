-- AlterTable
ALTER TABLE "deliveries" DROP COLUMN "signature";
