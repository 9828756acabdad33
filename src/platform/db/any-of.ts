import { type RawBuilder, sql } from 'kysely';

/**
 * `= ANY($1::type[])`: a list as one array parameter. `IN ($1, … $1000)` costs a parameter per
 * value to send, bind and plan; a batch of a thousand emails is one value this way.
 * @example db.selectFrom('contacts').where('email', '=', anyOf(emails, 'text'))
 */
export function anyOf<T extends string>(values: readonly T[], type: 'text' | 'uuid'): RawBuilder<T> {
  return sql<T>`ANY(${values}::${sql.raw(type)}[])`;
}
