import { Prisma } from "./generated/prisma/client.ts";

// Raw SQL that carries the type of its rows: a statement and the shape of what it returns are
// written down together, once, so that whoever runs it (queryRows, reader.batch) needs no cast.

declare const rowType: unique symbol;

/**
 * A statement whose rows are `Row`. It is a Prisma.Sql (it nests in other templates, and Prisma's
 * $queryRaw runs it); the row type is only the compiler's, nothing of it exists at run time.
 */
export interface Query<Row> extends Prisma.Sql {
  readonly [rowType]?: Row;
}

/** The rows a query answers. */
export type RowsOf<Q> = Q extends Query<infer Row> ? Row[] : never;

/**
 * A statement with its row type, as a tagged template (values become bind parameters, Prisma.Sql
 * fragments nest): `sql<{ plan: Plan | null }>\`SELECT app.workspace_plan()::text AS plan\``. The
 * row type is the author's word, given where the statement is written rather than where it runs.
 */
export function sql<Row>(strings: TemplateStringsArray, ...values: unknown[]): Query<Row> {
  return Prisma.sql(strings, ...values);
}
