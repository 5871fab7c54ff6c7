-- AlterTable
ALTER TABLE "deliveries" ADD COLUMN     "body_encoding" TEXT;
