import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import { createGenerationCounter, dropGenerationCounter } from '../generation.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * What the alert pipeline reads before deciding about any alert (silences, maintenance windows,
 * alert policies, notification targets) changes rarely but is read by every ingestion batch.
 * A generation number, bumped by a trigger on every change to those tables whoever makes it
 * (the API, config as code, another replica, a hand-written SQL statement), lets each replica
 * keep its copy until the number moves: one small read per batch instead of four (ADR 0009).
 */
const WATCHED_TABLES = ['silences', 'maintenance_windows', 'alert_policies', 'notification_targets'];

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  await createGenerationCounter(db, dialect, 'alert_config_generation', WATCHED_TABLES);
}

export async function down(db: AnyDb, dialect: Dialect): Promise<void> {
  await dropGenerationCounter(db, dialect, 'alert_config_generation', WATCHED_TABLES);
}
