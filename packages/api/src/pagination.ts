// The one page shape of the cursor-paged procedures (kpi.list, kpi.points, integration.runs): each
// reads one row more than a page, and that row tells whether another page follows.

export interface Page<Item> {
  items: Item[];
  /** The id to pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** The first `limit` of `rows` (read with a limit of `limit + 1`) and the cursor to the page after them. */
export function pageOf<Item extends { id: string }>(rows: readonly Item[], limit: number): Page<Item> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}
