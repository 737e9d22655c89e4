import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { JournalTable } from '../components/journal.tsx';
import { LiveIndicator } from '../components/live.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import type { LiveState } from '../live.ts';
import { navigate, useLocation, withQuery } from '../router.tsx';
import { useTitle } from '../title.ts';
import type { JournalEntry, JournalPage } from '../types.ts';

const PAGE_SIZE = 50;
const WINDOWS = [
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['365d', 'Last year'],
] as const;
const KIND_HINTS = ['auth.', 'catalog.', 'catalog.team.', 'catalog.entity.', 'manifests.', 'slo.'];

interface Filters {
  since: string;
  kind: string;
  actor: string;
}

function matches(entry: JournalEntry, f: Filters): boolean {
  return (!f.kind || entry.kind.startsWith(f.kind)) && (!f.actor || entry.actor === f.actor);
}

/** Newest first, one row per seq: live entries and fetched pages can overlap. */
function merge(a: JournalEntry[], b: JournalEntry[]): JournalEntry[] {
  const bySeq = new Map<number, JournalEntry>();
  for (const e of a) bySeq.set(e.seq, e);
  for (const e of b) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((x, y) => y.seq - x.seq);
}

export function AuditPage() {
  useTitle('Audit log');
  const { pathname, query } = useLocation();
  const filters: Filters = { since: query.get('since') ?? '24h', kind: query.get('kind') ?? '', actor: query.get('actor') ?? '' };
  const key = `${filters.since}|${filters.kind}|${filters.actor}`;
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const [items, setItems] = useState<JournalEntry[] | null>(null);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [fresh, setFresh] = useState<ReadonlySet<number>>(new Set());
  const [live, setLive] = useState<LiveState>('connecting');
  const [announcement, setAnnouncement] = useState('');
  const [generation, setGeneration] = useState(0);

  const pagePath = useCallback(
    (before?: number) =>
      withQuery('/api/v1/journal', {
        since: filtersRef.current.since === 'all' ? null : filtersRef.current.since,
        kind: filtersRef.current.kind,
        actor: filtersRef.current.actor,
        before,
        limit: PAGE_SIZE,
      }),
    [],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` (the filters) and `generation` (retry) trigger a refetch; pagePath reads the filters from a ref
  useEffect(() => {
    const controller = new AbortController();
    setItems(null);
    setError(null);
    setFresh(new Set());
    api<JournalPage>(pagePath(), { signal: controller.signal }).then(
      (page) => {
        // Live entries that arrived while this page loaded are kept.
        setItems((current) => merge(current ?? [], page.items));
        setNextBefore(page.nextBefore);
      },
      (e: unknown) => {
        if (!controller.signal.aborted)
          setError(e instanceof ApiError ? e : new ApiError({ title: 'Error', status: 0, code: 'CLIENT', detail: String(e) }));
      },
    );
    return () => controller.abort();
  }, [key, generation, pagePath]);

  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setLive('unsupported');
      return;
    }
    const source = new EventSource('/api/v1/journal/stream');
    let dropped = false;
    source.addEventListener('open', () => {
      setLive('live');
      // After a reconnect, fetch the head again: entries may have been written while we were away.
      if (dropped) {
        dropped = false;
        api<JournalPage>(pagePath()).then(
          (page) => setItems((current) => merge(current ?? [], page.items)),
          () => {},
        );
      }
    });
    source.addEventListener('error', () => {
      dropped = true;
      // A closed source (the server refused the stream) does not retry by itself; an open one does.
      setLive(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting');
    });
    source.addEventListener('journal', (event) => {
      let entry: JournalEntry;
      try {
        entry = JSON.parse((event as MessageEvent<string>).data) as JournalEntry;
      } catch {
        return;
      }
      if (!matches(entry, filtersRef.current)) return;
      setItems((current) => merge(current ?? [], [entry]));
      setFresh((current) => new Set(current).add(entry.seq));
      setAnnouncement(`New audit entry: ${entry.kind} by ${entry.actor}`);
    });
    return () => source.close();
  }, [pagePath]);

  const loadOlder = async () => {
    if (nextBefore === null) return;
    setLoadingMore(true);
    try {
      const page = await api<JournalPage>(pagePath(nextBefore));
      setItems((current) => merge(current ?? [], page.items));
      setNextBefore(page.nextBefore);
    } catch (e) {
      setError(e instanceof ApiError ? e : null);
    } finally {
      setLoadingMore(false);
    }
  };

  const [kindText, setKindText] = useState(filters.kind);
  const [actorText, setActorText] = useState(filters.actor);
  useEffect(() => setKindText(filters.kind), [filters.kind]);
  useEffect(() => setActorText(filters.actor), [filters.actor]);

  const apply = (changes: Partial<Filters>, replace = false) => {
    const next = { ...filtersRef.current, ...changes };
    navigate(withQuery(pathname, { since: next.since === '24h' ? null : next.since, kind: next.kind, actor: next.actor }), {
      replace,
    });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply({ kind: kindText.trim(), actor: actorText.trim() });
  };
  const filtered = filters.kind !== '' || filters.actor !== '' || filters.since !== '24h';

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Audit log</h1>
          <p className="lead">Every change in Vigil, who made it and when. The journal is append-only.</p>
        </div>
        <LiveIndicator state={live} liveHint="New entries appear at the top as they happen" />
      </div>

      <form className="filters" aria-label="Audit filters" onSubmit={submit}>
        <div className="field">
          <label htmlFor="audit-since">Time range</label>
          <select id="audit-since" value={filters.since} onChange={(e) => apply({ since: e.target.value })}>
            {WINDOWS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
            <option value="all">All time</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-kind">Event kind</label>
          <input
            id="audit-kind"
            list="audit-kind-hints"
            placeholder="e.g. catalog."
            value={kindText}
            onChange={(e) => setKindText(e.target.value)}
            onBlur={() => kindText.trim() !== filters.kind && apply({ kind: kindText.trim() })}
            aria-describedby="audit-kind-hint"
            spellCheck={false}
            autoComplete="off"
          />
          <datalist id="audit-kind-hints">
            {KIND_HINTS.map((k) => (
              <option key={k} value={k} />
            ))}
          </datalist>
          <span id="audit-kind-hint" className="sr-only">
            Matches kinds starting with this text
          </span>
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <input
            id="audit-actor"
            placeholder="e.g. user:alice"
            value={actorText}
            onChange={(e) => setActorText(e.target.value)}
            onBlur={() => actorText.trim() !== filters.actor && apply({ actor: actorText.trim() })}
            spellCheck={false}
            autoComplete="off"
          />
        </div>
        <div className="field field-actions">
          <button type="submit" className="button">
            Apply
          </button>
          {filtered && (
            <button type="button" className="link-button" onClick={() => navigate(pathname)}>
              Reset
            </button>
          )}
        </div>
      </form>

      <div className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>

      {error && !items ? (
        <ErrorNotice error={error} onRetry={() => setGeneration((g) => g + 1)} />
      ) : !items ? (
        <Loading label="Loading the audit log…" />
      ) : items.length === 0 ? (
        <EmptyState title="No entries in this range">
          <p>New changes appear here as they happen. Widen the time range or clear the filters to see older ones.</p>
        </EmptyState>
      ) : (
        <>
          <JournalTable items={items} caption="Audit log entries, newest first" fresh={fresh} />
          {error && <ErrorNotice error={error} />}
          <div className="load-more">
            {nextBefore !== null ? (
              <button type="button" className="button" onClick={loadOlder} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Load older entries'}
              </button>
            ) : (
              <p className="muted">That's everything in this range.</p>
            )}
          </div>
        </>
      )}
    </>
  );
}
