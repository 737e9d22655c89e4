import { seg, useApi } from '../api.ts';
import { BlastRadiusGraph, TeamLegend, teamColors } from '../components/BlastRadiusGraph.tsx';
import { EntityLink, KindBadge, LifecycleBadge, RefLink, Tags, TeamLink, TierBadge } from '../components/badges.tsx';
import { distinctTitle } from '../components/EntityTable.tsx';
import { JournalTable } from '../components/journal.tsx';
import { DetailPage, EmptyState, ErrorNotice, Loaded, Loading } from '../components/status.tsx';
import { icons } from '../icons.tsx';
import { Link, withQuery } from '../router.tsx';
import { Time } from '../time.tsx';
import { useTitle } from '../title.ts';
import type { BlastRadius, EntityDetail, EntityRefOwned, JournalPage } from '../types.ts';

export function EntityPage({ kind, name }: { kind: string; name: string }) {
  useTitle(name);
  const base = `/api/v1/entities/${seg(kind)}/${seg(name)}`;
  const entity = useApi<EntityDetail>(base);

  return (
    <DetailPage
      trail={[
        { to: '/catalog', label: 'Catalog' },
        { to: withQuery('/catalog', { kind }), label: kind },
      ]}
      name={name}
      resource={entity}
    >
      {(data) => <EntityView entity={data} base={base} />}
    </DetailPage>
  );
}

function EntityView({ entity, base }: { entity: EntityDetail; base: string }) {
  const links = entity.links ?? [];
  const annotations = Object.entries(entity.annotations ?? {});
  const partOfKind = entity.kind === 'system' ? 'domain' : 'system';
  return (
    <>
      <div className="page-header">
        <div>
          <h1>
            {entity.name} <KindBadge kind={entity.kind} />
          </h1>
          {distinctTitle(entity) && <p className="subtitle">{entity.title}</p>}
          {entity.description && <p className="lead">{entity.description}</p>}
        </div>
        {entity.runbookUrl && (
          <a className="button button-primary" href={entity.runbookUrl} target="_blank" rel="noopener noreferrer">
            Runbook {icons.external}
            <span className="sr-only"> (opens in a new tab)</span>
          </a>
        )}
      </div>

      <section aria-labelledby="facts-title" className="card">
        <h2 id="facts-title" className="sr-only">
          Details
        </h2>
        <dl className="facts">
          <div>
            <dt>Owner</dt>
            <dd>
              <TeamLink team={entity.owner} />
            </dd>
          </div>
          <div>
            <dt>Tier</dt>
            <dd>
              <TierBadge tier={entity.tier} />
            </dd>
          </div>
          <div>
            <dt>Lifecycle</dt>
            <dd>
              <LifecycleBadge lifecycle={entity.lifecycle} />
            </dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{entity.type ?? <span className="muted">—</span>}</dd>
          </div>
          <div>
            <dt>Part of</dt>
            <dd>{entity.partOf ? <EntityLink kind={partOfKind} name={entity.partOf} /> : <span className="muted">—</span>}</dd>
          </div>
          <div>
            <dt>Tags</dt>
            <dd>
              <Tags tags={entity.tags} />
            </dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd>
              <Time at={entity.updatedAt} />
            </dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd className="break">{entity.source ?? <span className="muted">API</span>}</dd>
          </div>
        </dl>
      </section>

      <div className="grid-2">
        <section aria-labelledby="links-title" className="card">
          <h2 id="links-title">Links</h2>
          {!entity.runbookUrl && links.length === 0 ? (
            <p className="muted">
              No links yet. Add <code>runbookUrl</code> and <code>links</code> to its descriptor.
            </p>
          ) : (
            <ul className="link-list">
              {entity.runbookUrl && (
                <li>
                  <a href={entity.runbookUrl} target="_blank" rel="noopener noreferrer">
                    Runbook {icons.external}
                    <span className="sr-only"> (opens in a new tab)</span>
                  </a>
                </li>
              )}
              {links.map((l) => (
                <li key={l.url}>
                  <a href={l.url} target="_blank" rel="noopener noreferrer">
                    {l.title || l.url} {icons.external}
                    <span className="sr-only"> (opens in a new tab)</span>
                  </a>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="deps-title" className="card">
          <h2 id="deps-title">Dependencies</h2>
          <div className="deps">
            <RefList
              title={`Depends on (${entity.dependsOn.length})`}
              items={entity.dependsOn}
              empty="Depends on nothing in the catalog."
            />
            <RefList
              title={`Used by (${entity.dependents.length})`}
              items={entity.dependents}
              empty="Nothing depends on it directly."
            />
          </div>
        </section>
      </div>

      <BlastRadiusSection base={base} name={entity.name} />

      {annotations.length > 0 && (
        <section aria-labelledby="annotations-title" className="card">
          <h2 id="annotations-title">Annotations</h2>
          <dl className="annotations">
            {annotations.map(([k, v]) => (
              <div key={k}>
                <dt>
                  <code>{k}</code>
                </dt>
                <dd className="break">{v}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}

      <RecentChanges entity={entity} />
    </>
  );
}

function RefList({ title, items, empty }: { title: string; items: EntityRefOwned[]; empty: string }) {
  return (
    <div>
      <h3>{title}</h3>
      {items.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="ref-list">
          {items.map((r) => (
            <li key={`${r.kind}:${r.name}`}>
              <EntityLink kind={r.kind} name={r.name} showKind />
              <span className="muted"> · {r.owner ?? 'unowned'}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function BlastRadiusSection({ base, name }: { base: string; name: string }) {
  const blast = useApi<BlastRadius>(`${base}/blast-radius`);
  return (
    <section aria-labelledby="blast-title" className="card" id="blast-radius">
      <h2 id="blast-title">Blast radius</h2>
      <p className="muted">
        Everything that would feel an outage of {name}: what depends on it, directly or through other services.
      </p>
      <Loaded resource={blast} label="Working out the blast radius…">
        {(data) =>
          data.impacted.length === 0 ? (
            <EmptyState title={`Nothing depends on ${name}`} tone="good">
              <p>An outage here stays contained to {name} itself.</p>
            </EmptyState>
          ) : (
            <BlastRadiusBody data={data} />
          )
        }
      </Loaded>
    </section>
  );
}

function BlastRadiusBody({ data }: { data: BlastRadius }) {
  const colors = teamColors(data);
  const direct = data.impacted.filter((i) => i.depth <= 1).length;
  return (
    <>
      <p className="blast-summary">
        <strong>{data.impacted.length}</strong> {data.impacted.length === 1 ? 'entity' : 'entities'} impacted ({direct} directly),
        owned by <strong>{data.teams.length}</strong> {data.teams.length === 1 ? 'team' : 'teams'}.
      </p>
      <TeamLegend data={data} colors={colors} />
      <BlastRadiusGraph data={data} colors={colors} />
      <p className="hint">Arrows point from a service to what it depends on. Select a box to open that entity.</p>
      <details className="blast-table">
        <summary>Impacted entities as a table</summary>
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Entities impacted by an outage of {data.root.name}</caption>
            <thead>
              <tr>
                <th scope="col">Entity</th>
                <th scope="col">Owner</th>
                <th scope="col">Tier</th>
                <th scope="col">Hops</th>
                <th scope="col">Via</th>
              </tr>
            </thead>
            <tbody>
              {[...data.impacted]
                .sort((a, b) => a.depth - b.depth || a.name.localeCompare(b.name))
                .map((i) => (
                  <tr key={`${i.kind}:${i.name}`}>
                    <td>
                      <EntityLink kind={i.kind} name={i.name} showKind />
                    </td>
                    <td>
                      <TeamLink team={i.owner} />
                    </td>
                    <td>
                      <TierBadge tier={i.tier} />
                    </td>
                    <td>{i.depth}</td>
                    <td>
                      <RefLink entityRef={i.via} />
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function RecentChanges({ entity }: { entity: EntityDetail }) {
  const journal = useApi<JournalPage>(withQuery('/api/v1/journal', { serviceId: entity.id, limit: 20 }));
  return (
    <section aria-labelledby="changes-title" className="card">
      <div className="section-header">
        <h2 id="changes-title">Recent changes</h2>
        <Link to={withQuery('/audit', { since: '30d' })}>Audit log</Link>
      </div>
      {journal.error ? (
        <ErrorNotice error={journal.error} onRetry={journal.reload} />
      ) : !journal.data ? (
        <Loading />
      ) : journal.data.items.length === 0 ? (
        <p className="muted">No recorded changes yet.</p>
      ) : (
        <JournalTable items={journal.data.items} caption={`Recent changes to ${entity.name}`} />
      )}
    </section>
  );
}
