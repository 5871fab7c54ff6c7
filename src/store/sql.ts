/**
 * Raw SQL for either provider: the tagged template, join, raw and empty of Prisma's client
 * runtime, which both generated clients use (each one's `Prisma.sql` is this `sqltag`). A query
 * built here carries its values as parameters; the client of the open database renders them in
 * its provider's placeholder syntax.
 */
export { empty, join, raw, Sql, sqltag as sql } from '@prisma/client/runtime/client';
