import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useApi } from '../api.ts';
import { EntityTable } from '../components/EntityTable.tsx';
import { Pagination } from '../components/Pagination.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { navigate, useLocation, withQuery } from '../router.tsx';
import { useTeams } from '../teams.ts';
import { useTitle } from '../title.ts';
import { ENTITY_KINDS, type EntitySummary, LIFECYCLES, type Page, TIERS } from '../types.ts';

const PAGE_SIZE = 50;
const FILTERS = ['kind', 'owner', 'tier', 'lifecycle', 'tag'] as const;
type Filter = (typeof FILTERS)[number];

export function CatalogPage() {
  useTitle('Catalog');
  const { pathname, query } = useLocation();
  const q = query.get('q') ?? '';
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ''])) as Record<Filter, string>;
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);

  const params = { q, ...filters };
  const href = (changes: Partial<Record<Filter | 'q', string>>, nextOffset = 0) =>
    withQuery(pathname, { ...params, ...changes, offset: nextOffset || null });

  const list = useApi<Page<EntitySummary>>(withQuery('/api/v1/entities', { ...params, limit: PAGE_SIZE, offset }));
  const teams = useTeams();

  // The box is edited locally and written to the URL after a pause, so typing doesn't flood history or the API.
  const [text, setText] = useState(q);
  const lastPushed = useRef(q);
  useEffect(() => {
    if (q !== lastPushed.current) {
      lastPushed.current = q;
      setText(q);
    }
  }, [q]);
  useEffect(() => {
    if (text === lastPushed.current) return;
    const timer = setTimeout(() => {
      lastPushed.current = text;
      // Read the query at fire time: a filter may have changed while the user was typing.
      const current = new URLSearchParams(window.location.search);
      current.set('q', text);
      current.delete('offset');
      navigate(withQuery(window.location.pathname, Object.fromEntries(current)), { replace: true });
    }, 250);
    return () => clearTimeout(timer);
  }, [text]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    lastPushed.current = text;
    navigate(href({ q: text }), { replace: true });
  };

  const setFilter = (name: Filter, value: string) => navigate(href({ [name]: value }));
  const filtered = q !== '' || FILTERS.some((f) => filters[f] !== '');
  const data = list.data;

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Catalog</h1>
          <p className="lead">Services, systems, APIs and resources, with who owns them and what depends on what.</p>
        </div>
      </div>

      <search aria-label="Catalog">
        <form className="filters" onSubmit={submit}>
          <div className="field field-grow">
            <label htmlFor="catalog-q">Search</label>
            <input
              id="catalog-q"
              type="search"
              placeholder="Name, title, description…"
              value={text}
              onChange={(e) => setText(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </div>
          <div className="field">
            <label htmlFor="catalog-kind">Kind</label>
            <select id="catalog-kind" value={filters.kind} onChange={(e) => setFilter('kind', e.target.value)}>
              <option value="">Any kind</option>
              {ENTITY_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="catalog-owner">Owner</label>
            <select id="catalog-owner" value={filters.owner} onChange={(e) => setFilter('owner', e.target.value)}>
              <option value="">Any team</option>
              {filters.owner && !teams.data?.some((t) => t.name === filters.owner) && (
                <option value={filters.owner}>{filters.owner}</option>
              )}
              {teams.data?.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.title && t.title !== t.name ? `${t.title} (${t.name})` : t.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="catalog-tier">Tier</label>
            <select id="catalog-tier" value={filters.tier} onChange={(e) => setFilter('tier', e.target.value)}>
              <option value="">Any tier</option>
              {TIERS.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="catalog-lifecycle">Lifecycle</label>
            <select id="catalog-lifecycle" value={filters.lifecycle} onChange={(e) => setFilter('lifecycle', e.target.value)}>
              <option value="">Any lifecycle</option>
              {LIFECYCLES.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </div>
          {filters.tag && (
            <div className="field">
              <span className="label">Tag</span>
              <button
                type="button"
                className="chip"
                onClick={() => setFilter('tag', '')}
                aria-label={`Remove tag filter ${filters.tag}`}
              >
                {filters.tag} <span aria-hidden="true">×</span>
              </button>
            </div>
          )}
        </form>
      </search>

      <div className="results-bar">
        <p role="status" className="muted">
          {data ? `${data.total} ${data.total === 1 ? 'entity' : 'entities'}${filtered ? ' match' : ''}` : ''}
          {list.loading && data ? ' · updating…' : ''}
        </p>
        {filtered && (
          <button type="button" className="link-button" onClick={() => navigate(pathname)}>
            Clear filters
          </button>
        )}
      </div>

      {list.error ? (
        <ErrorNotice error={list.error} onRetry={list.reload} />
      ) : !data ? (
        <Loading label="Loading the catalog…" />
      ) : data.items.length === 0 ? (
        filtered ? (
          <EmptyState title="Nothing matches these filters">
            <p>Try a shorter search or clear a filter.</p>
          </EmptyState>
        ) : (
          <EmptyState title="The catalog is empty">
            <p>
              Describe your services in Backstage-style <code>catalog-info.yaml</code> files and apply them:
            </p>
            <pre className="code">
              <code>{`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
spec:
  type: service
  owner: payments
  lifecycle: production
  dependsOn: [component:payments]`}</code>
            </pre>
            <pre className="code">
              <code>vigil apply -f catalog-info.yaml</code>
            </pre>
          </EmptyState>
        )
      ) : (
        <>
          <EntityTable items={data.items} caption="Catalog entities" />
          <Pagination total={data.total} limit={data.limit || PAGE_SIZE} offset={data.offset} href={(o) => href({}, o)} />
        </>
      )}
    </>
  );
}
