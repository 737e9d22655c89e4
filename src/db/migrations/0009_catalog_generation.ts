import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import { createGenerationCounter, dropGenerationCounter } from '../generation.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * The dependency graph (entities, their owners' names and tiers, and dependencies) changes on
 * catalog writes only, but blast radius walks it on every request. A generation number,
 * bumped by triggers on every change to the tables it is made of, lets each replica keep the
 * graph in memory until the number moves, whoever changed it (ADR 0009).
 */
const WATCHED_TABLES = ['catalog_entities', 'catalog_dependencies', 'teams'];

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  await createGenerationCounter(db, dialect, 'catalog_generation', WATCHED_TABLES);
}

export async function down(db: AnyDb, dialect: Dialect): Promise<void> {
  await dropGenerationCounter(db, dialect, 'catalog_generation', WATCHED_TABLES);
}
