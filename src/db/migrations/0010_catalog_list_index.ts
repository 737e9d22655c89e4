import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * The catalog list pages by name within a kind: an index on (kind, name, id) answers a page's
 * ids from the index alone, whatever the offset's rows hold.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.createIndex('catalog_entities_kind_name_id').on('catalog_entities').columns(['kind', 'name', 'id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('catalog_entities_kind_name_id').execute();
}
