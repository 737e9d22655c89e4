import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * Where the pulling of each Prometheus-based SLI stands. A table of its own rather than columns
 * on `slis`: it changes every minute, while a definition row changes when someone applies config,
 * and an apply must not race the puller over the same row.
 */
export async function up(db: AnyDb, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('sli_pulls')
    .addColumn('sli_id', 'text', (c) => c.primaryKey().references('slis.id').onDelete('cascade'))
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('pulled_from', 'integer')
    .addColumn('pulled_to', 'integer')
    .addColumn('pulled_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'bigint')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('sli_pulls').execute();
}
