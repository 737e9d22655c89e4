import { EventEmitter } from 'node:events';
import { type Insertable, sql } from 'kysely';
import type { Clock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { Executor } from '../db/database.ts';
import { fromJson, toJson } from '../db/json.ts';
import type { JournalTable } from '../db/schema.ts';

/**
 * The append-only journal: audit log, timelines and analytics source in one table.
 * Entries are written in the same transaction as the change they record and never updated.
 */
export interface JournalEntry {
  seq: number;
  id: string;
  at: number;
  /** Dotted kind, `<module>.<subject>.<verb>`: `catalog.service.created`, `auth.token.revoked`. */
  kind: string;
  /** Who did it: `user:alice`, `token:ci-deploy`, `system:scheduler`. */
  actor: string;
  serviceId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
}

export interface NewJournalEntry {
  kind: string;
  actor: string;
  serviceId?: string | null;
  subjectType?: string | null;
  subjectId?: string | null;
  data?: Record<string, unknown>;
}

export interface JournalQuery {
  /** Only entries at or after this time (ms). */
  since?: number;
  /** Only entries before this time (ms). */
  until?: number;
  /** Only entries with `seq` below this (for paging backwards). */
  beforeSeq?: number;
  /** Only entries with `seq` above this (for tailing). */
  afterSeq?: number;
  /** Only entries with one of these sequence numbers. */
  seqs?: readonly number[];
  kindPrefix?: string;
  /** Only entries whose kind starts with one of these. */
  kindPrefixes?: string[];
  actor?: string;
  serviceId?: string;
  /** Only entries about one of these services. */
  serviceIds?: string[];
  subjectType?: string;
  subjectId?: string;
  /** Newest first unless `ascending`. */
  ascending?: boolean;
  limit?: number;
}

export class Journal {
  readonly #clock: Clock;
  /** Notified after a transaction that appended entries commits (see {@link JournalFeed}). */
  readonly appended = new EventEmitter();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Appends within `trx`, which must be the transaction that makes the recorded change. */
  async append(trx: Executor, entry: NewJournalEntry): Promise<void> {
    await trx
      .insertInto('journal')
      .values(this.rows([entry]))
      .execute();
    this.appended.emit('appended');
  }

  /** Appends several entries in order, one statement per 200; same contract as {@link append}. */
  async appendMany(trx: Executor, entries: readonly NewJournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = this.rows(entries);
    for (let i = 0; i < rows.length; i += 200) {
      await trx
        .insertInto('journal')
        .values(rows.slice(i, i + 200))
        .execute();
    }
    this.appended.emit('appended');
  }

  /**
   * The rows {@link appendMany} would insert, for a caller that writes them in a statement of
   * its own; it calls {@link notifyAppended} once that has committed.
   */
  rows(entries: readonly NewJournalEntry[]): Array<Insertable<JournalTable>> {
    const at = this.#clock.now();
    return entries.map((entry) => ({
      id: newId(at),
      at,
      kind: entry.kind,
      actor: entry.actor,
      service_id: entry.serviceId ?? null,
      subject_type: entry.subjectType ?? null,
      subject_id: entry.subjectId ?? null,
      data: toJson(entry.data ?? {}),
    }));
  }

  notifyAppended(): void {
    this.appended.emit('appended');
  }

  async list(db: Executor, q: JournalQuery = {}): Promise<JournalEntry[]> {
    let query = db.selectFrom('journal').selectAll();
    if (q.since !== undefined) query = query.where('at', '>=', q.since);
    if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
    if (q.afterSeq !== undefined) query = query.where('seq', '>', q.afterSeq);
    if (q.seqs) query = q.seqs.length > 0 ? query.where('seq', 'in', [...q.seqs]) : query.where(sql<boolean>`1 = 0`);
    if (q.until !== undefined) query = query.where('at', '<', q.until);
    if (q.kindPrefix) query = query.where('kind', 'like', `${q.kindPrefix.replace(/[%_]/g, '')}%`);
    const prefixes = q.kindPrefixes;
    if (prefixes && prefixes.length > 0) {
      query = query.where((eb) => eb.or(prefixes.map((p) => eb('kind', 'like', `${p.replace(/[%_]/g, '')}%`))));
    }
    if (q.serviceIds)
      query = q.serviceIds.length > 0 ? query.where('service_id', 'in', q.serviceIds) : query.where(sql<boolean>`1 = 0`);
    if (q.actor) query = query.where('actor', '=', q.actor);
    if (q.serviceId) query = query.where('service_id', '=', q.serviceId);
    if (q.subjectType) query = query.where('subject_type', '=', q.subjectType);
    if (q.subjectId) query = query.where('subject_id', '=', q.subjectId);
    const rows = await query
      .orderBy('seq', q.ascending ? 'asc' : 'desc')
      .limit(Math.min(q.limit ?? 100, 5000))
      .execute();
    return rows.map(toEntry);
  }

  async latestSeq(db: Executor): Promise<number> {
    const row = await db
      .selectFrom('journal')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }
}

function toEntry(row: {
  seq: number;
  id: string;
  at: number;
  kind: string;
  actor: string;
  service_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
  data: string;
}): JournalEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    at: Number(row.at),
    kind: row.kind,
    actor: row.actor,
    serviceId: row.service_id,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    data: fromJson(row.data, {}),
  };
}

/** How long the feed looks for an entry whose sequence number it skipped over. */
const LATE_ENTRY_WAIT_MS = 10_000;
/** At most this many skipped sequence numbers are looked for at once. */
const MAX_HOLES = 5_000;

/**
 * Tails the journal for live subscribers (the UI's SSE stream). It polls by `seq`, so entries
 * written by another replica on the same PostgreSQL reach this replica's subscribers too; a local
 * append wakes it at once.
 *
 * On PostgreSQL a transaction can take its sequence numbers before another one and commit after
 * it, so a number can appear below the last one seen. The feed remembers the numbers it skipped
 * over and looks for them for {@link LATE_ENTRY_WAIT_MS} (a rolled-back transaction's numbers
 * never appear): such an entry reaches subscribers late, out of order, but it does reach them.
 */
export class JournalFeed {
  readonly #db: Executor;
  readonly #journal: Journal;
  readonly #subscribers = new Set<(entry: JournalEntry) => void>();
  readonly #intervalMs: number;
  #lastSeq = -1;
  /** Skipped sequence numbers, and until when (real time, ms) to look for them. */
  readonly #holes = new Map<number, number>();
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  #again = false;
  readonly #wake = (): void => {
    // Appends happen inside transactions; poll on the next tick, after the commit.
    setTimeout(() => void this.poll(), 5);
  };

  constructor(db: Executor, journal: Journal, intervalMs = 1000) {
    this.#db = db;
    this.#journal = journal;
    this.#intervalMs = intervalMs;
  }

  subscribe(fn: (entry: JournalEntry) => void): () => void {
    this.#subscribers.add(fn);
    if (this.#subscribers.size === 1) void this.#start();
    return () => {
      this.#subscribers.delete(fn);
      if (this.#subscribers.size === 0) this.stop();
    };
  }

  async #start(): Promise<void> {
    if (this.#lastSeq < 0) this.#lastSeq = await this.#journal.latestSeq(this.#db);
    this.#journal.appended.on('appended', this.#wake);
    this.#timer = setInterval(() => void this.poll(), this.#intervalMs);
    this.#timer.unref();
  }

  async poll(): Promise<void> {
    if (this.#polling) {
      this.#again = true;
      return;
    }
    this.#polling = true;
    try {
      do {
        this.#again = false;
        await this.#pollLate();
        const entries = await this.#journal.list(this.#db, { afterSeq: this.#lastSeq, ascending: true, limit: 500 });
        const until = Date.now() + LATE_ENTRY_WAIT_MS;
        for (const entry of entries) {
          for (let seq = this.#lastSeq + 1; seq < entry.seq && this.#holes.size < MAX_HOLES; seq++) this.#holes.set(seq, until);
          this.#lastSeq = entry.seq;
          for (const fn of this.#subscribers) fn(entry);
        }
        if (entries.length === 500) this.#again = true;
      } while (this.#again);
    } catch {
      // The next tick retries; a failing database is reported by /readyz, not here.
    } finally {
      this.#polling = false;
    }
  }

  /** Entries that have appeared at sequence numbers skipped over earlier. */
  async #pollLate(): Promise<void> {
    if (this.#holes.size === 0) return;
    const now = Date.now();
    for (const [seq, until] of this.#holes) if (until < now) this.#holes.delete(seq);
    const seqs = [...this.#holes.keys()].slice(0, 500);
    if (seqs.length === 0) return;
    const late = await this.#journal.list(this.#db, { seqs, ascending: true, limit: 500 });
    for (const entry of late) {
      this.#holes.delete(entry.seq);
      for (const fn of this.#subscribers) fn(entry);
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#journal.appended.off('appended', this.#wake);
  }
}
