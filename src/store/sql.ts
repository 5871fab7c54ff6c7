/**
 * Raw SQL for either provider: the tagged template, join, raw and empty of Prisma's client
 * runtime, which both generated clients use (each one's `Prisma.sql` is this `sqltag`). A query
 * built here carries its values as parameters; the client of the open database renders them in
 * its provider's placeholder syntax.
 */
import { Sql } from '@prisma/client/runtime/client';

export { empty, join, raw, Sql, sqltag as sql } from '@prisma/client/runtime/client';

/** Rows per multi-row statement: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
export const ROWS_PER_STATEMENT = 500;

/** `items` in slices of at most `size` (ROWS_PER_STATEMENT by default), for multi-row statements. */
export function chunks<T>(items: T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A query written once with `?` placeholders (as the SQLite writer's prepared statements take it)
 * for the Prisma clients of either provider: each `?` becomes a parameter, `values` in order.
 */
export function withValues(text: string, ...values: unknown[]): Sql {
  const parts = text.split('?');
  if (parts.length !== values.length + 1) {
    throw new Error(`the query has ${parts.length - 1} placeholders, given ${values.length} values`);
  }
  return new Sql(parts, values);
}
