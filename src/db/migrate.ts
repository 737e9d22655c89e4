import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Db, Dialect } from './database.ts';
import * as m0001 from './migrations/0001_foundation.ts';
import * as m0002 from './migrations/0002_slo.ts';
import * as m0003 from './migrations/0003_prometheus_pull.ts';
import * as m0004 from './migrations/0004_probes.ts';
import * as m0005 from './migrations/0005_alerts.ts';
import * as m0006 from './migrations/0006_notifications.ts';
import * as m0007 from './migrations/0007_alert_hygiene.ts';
import * as m0008 from './migrations/0008_alert_config_generation.ts';
import * as m0009 from './migrations/0009_catalog_generation.ts';
import * as m0010 from './migrations/0010_catalog_list_index.ts';

interface PortableMigration {
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was when written.
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  down?(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/** Every migration, in order. Names never change once released. */
export const migrations: ReadonlyArray<[string, PortableMigration]> = [
  ['0001_foundation', m0001],
  ['0002_slo', m0002],
  ['0003_prometheus_pull', m0003],
  ['0004_probes', m0004],
  ['0005_alerts', m0005],
  ['0006_notifications', m0006],
  ['0007_alert_hygiene', m0007],
  ['0008_alert_config_generation', m0008],
  ['0009_catalog_generation', m0009],
  ['0010_catalog_list_index', m0010],
];

function provider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of migrations) {
        out[name] = {
          up: (db) => m.up(db, dialect),
          down: m.down ? (db) => m.down?.(db, dialect) ?? Promise.resolve() : undefined,
        };
      }
      return out;
    },
  };
}

function migrator(db: Db): Migrator {
  return new Migrator({ db: db.kysely, provider: provider(db.dialect) });
}

/** Brings the schema up to date. Kysely's migrator takes a lock, so replicas may race here safely. */
export async function migrateToLatest(db: Db): Promise<void> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? '?'} failed: ${(error as Error).message}`, { cause: error });
  }
}

export async function migrateDown(db: Db): Promise<void> {
  const { error } = await migrator(db).migrateDown();
  if (error) throw error;
}

/** True when every known migration has been applied (used by `/readyz`). */
export async function migrationsPending(db: Db): Promise<number> {
  const list = await migrator(db).getMigrations();
  return list.filter((m) => !m.executedAt).length;
}
