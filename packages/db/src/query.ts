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

const fieldPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A select list, `expression AS "field"`, one entry per field. Give it the fields of a row type
 * with `satisfies Record<keyof Row, string>`: the compiler then refuses a missing or an extra
 * column, so the list and the type cannot drift apart.
 */
export function columns(expressions: Readonly<Record<string, string>>): Prisma.Sql {
  const list = Object.entries(expressions).map(([field, expression]) => {
    // Field names come from code, never from input; the check keeps the quoting honest anyway.
    if (!fieldPattern.test(field)) throw new TypeError(`column alias ${JSON.stringify(field)} is not an identifier`);
    return `${expression} AS "${field}"`;
  });
  return Prisma.raw(list.join(", "));
}
