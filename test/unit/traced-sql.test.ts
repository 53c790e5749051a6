// What a Postgres span says about its statement (src/db/traced-client.ts): the text with placeholders
// kept and every literal replaced by `?`, and a low-cardinality name from its first keyword and table.
import { describe, expect, it } from 'vitest';
import { sanitizeSql, summarizeSql } from '../../src/db/traced-client.js';

describe('statement text on a span', () => {
  it('keeps bind placeholders, identifiers and casts, and replaces every literal with ?', () => {
    expect(
      sanitizeSql(
        `select "t1"."id", $1::int8 from "t1" where name = 'O''Brien' and n > 42 and x = -3.5e2 and s in ('SUCCEEDED', 'REFUNDED') limit 50`,
      ),
    ).toBe(`select "t1"."id", $1::int8 from "t1" where name = ? and n > ? and x = ? and s in (?, ?) limit ?`);
    expect(sanitizeSql('select $$4242424242424242$$, $tag$secret$tag$, $2')).toBe('select ?, ?, $2');
    expect(sanitizeSql(`insert into cards (number) values ('4242424242424242')`)).not.toContain('4242');
  });

  it('names the span by operation and first table', () => {
    expect(summarizeSql('select "id" from "purchases" where "id" = $1')).toEqual({
      operation: 'SELECT',
      collection: 'purchases',
    });
    expect(summarizeSql('insert into "ledger_entries" (id) values ($1)').collection).toBe('ledger_entries');
    expect(summarizeSql('update "items" set stock = stock - $1').operation).toBe('UPDATE');
    expect(summarizeSql('begin')).toEqual({ operation: 'BEGIN', collection: null });
  });
});
