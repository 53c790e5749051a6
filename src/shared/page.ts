// What a module's list verb takes: a page of a list in a stable order, whatever the transport's cursors.

/**
 * A position in a list ordered by (createdAt, id): stable even when rows share a timestamp.
 * The cursor carries a JS Date (milliseconds), so the column must be written with millisecond
 * precision (e.g. `createdAt: ctx.deps.clock.now()` on insert): a `defaultNow()` value has
 * microseconds, and a page boundary inside one millisecond would repeat or skip rows.
 */
export interface KeysetKey {
  readonly createdAt: Date;
  readonly id: string;
}

/** One page of a keyset-paginated list, as Relay's first/after and last/before ask for it. */
export interface KeysetPage {
  readonly after?: KeysetKey | undefined;
  readonly before?: KeysetKey | undefined;
  readonly limit: number;
  /** True for last/before: read backwards from the end (the caller reverses the rows). */
  readonly inverted: boolean;
}
