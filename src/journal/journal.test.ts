import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/testing.ts';
import { Journal, JournalFeed } from './journal.ts';

describe.each(testDialects)('journal on %s', (dialect) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.destroy();
    t = undefined;
  });

  it('appends within the transaction of the change: a rollback leaves no entry', async () => {
    t = await createTestDatabase(dialect);
    const journal = new Journal(new FakeClock());
    await expect(
      t.db.kysely.transaction().execute(async (trx) => {
        await journal.append(trx, { kind: 'catalog.team.created', actor: 'user:alice', data: { name: 'x' } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await journal.list(t.db.kysely)).toEqual([]);
    await t.db.kysely.transaction().execute((trx) => journal.append(trx, { kind: 'catalog.team.created', actor: 'user:alice' }));
    expect((await journal.list(t.db.kysely)).map((e) => e.kind)).toEqual(['catalog.team.created']);
  });

  it('filters by time, kind, actor and subject and pages by seq', async () => {
    t = await createTestDatabase(dialect);
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const journal = new Journal(clock);
    for (let i = 0; i < 30; i++) {
      clock.advance(60_000);
      await journal.append(t.db.kysely, {
        kind: i % 2 === 0 ? 'catalog.entity.updated' : 'auth.token.created',
        actor: i % 3 === 0 ? 'user:alice' : 'user:bob',
        subjectType: 'entity',
        subjectId: `e${i % 5}`,
        serviceId: `s${i % 3}`,
        data: { i },
      });
    }
    const newest = await journal.list(t.db.kysely, { limit: 10 });
    expect(newest.map((e) => e.data.i)).toEqual([29, 28, 27, 26, 25, 24, 23, 22, 21, 20]);
    const next = await journal.list(t.db.kysely, { limit: 10, beforeSeq: newest.at(-1)?.seq });
    expect(next[0]?.data.i).toBe(19);
    expect((await journal.list(t.db.kysely, { kindPrefix: 'auth.' })).every((e) => e.kind.startsWith('auth.'))).toBe(true);
    expect((await journal.list(t.db.kysely, { actor: 'user:alice' })).length).toBe(10);
    expect((await journal.list(t.db.kysely, { subjectType: 'entity', subjectId: 'e0' })).length).toBe(6);
    const since = clock.now() - 5 * 60_000;
    expect((await journal.list(t.db.kysely, { since })).length).toBe(6);
    expect((await journal.list(t.db.kysely, { since, until: clock.now() })).length).toBe(5);
    const both = await journal.list(t.db.kysely, { kindPrefixes: ['auth.', 'catalog.'] });
    expect(both.length).toBe(30);
    expect((await journal.list(t.db.kysely, { serviceIds: ['s0', 's1'] })).length).toBe(20);
    expect(await journal.list(t.db.kysely, { serviceIds: [] })).toEqual([]);
  });

  it('feeds live subscribers every new entry once, in order', async () => {
    t = await createTestDatabase(dialect);
    const journal = new Journal(new FakeClock());
    await journal.append(t.db.kysely, { kind: 'old.entry', actor: 'system:test' });
    const feed = new JournalFeed(t.db.kysely, journal, 50);
    const seen: string[] = [];
    const unsubscribe = feed.subscribe((e) => seen.push(e.kind));
    await new Promise((r) => setTimeout(r, 60));
    for (let i = 0; i < 5; i++) await journal.append(t.db.kysely, { kind: `new.${i}`, actor: 'system:test' });
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(5);
    await feed.poll();
    expect(seen).toEqual(['new.0', 'new.1', 'new.2', 'new.3', 'new.4']);
    unsubscribe();
  });

  it('feeds an entry that commits after a later sequence number was seen', async () => {
    t = await createTestDatabase(dialect);
    const journal = new Journal(new FakeClock());
    await journal.append(t.db.kysely, { kind: 'first', actor: 'system:test' });
    const feed = new JournalFeed(t.db.kysely, journal, 60_000);
    const seen: string[] = [];
    const unsubscribe = feed.subscribe((e) => seen.push(e.kind));
    await new Promise((r) => setTimeout(r, 60)); // the feed starts after the entries already there
    await feed.poll();
    expect(seen).toEqual([]);
    const last = await journal.latestSeq(t.db.kysely);
    // Two transactions took last+1 and last+2; the second commits first.
    const row = (seq: number, kind: string) => ({
      seq,
      id: `late-${seq}`,
      at: 0,
      kind,
      actor: 'system:test',
      service_id: null,
      subject_type: null,
      subject_id: null,
      data: '{}',
    });
    await t.db.kysely
      .insertInto('journal')
      .values(row(last + 2, 'committed.first'))
      .execute();
    await feed.poll();
    await t.db.kysely
      .insertInto('journal')
      .values(row(last + 1, 'committed.late'))
      .execute();
    await feed.poll();
    await feed.poll();
    expect(seen).toEqual(['committed.first', 'committed.late']);
    unsubscribe();
  });
});
