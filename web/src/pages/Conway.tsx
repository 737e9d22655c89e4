import { useApi } from '../api.ts';
import { RefLink, TeamLink } from '../components/badges.tsx';
import { EmptyState, Loaded } from '../components/status.tsx';
import { useTitle } from '../title.ts';
import type { ConwayFinding } from '../types.ts';

export function ConwayPage() {
  useTitle('Conway');
  const findings = useApi<{ items: ConwayFinding[] } | ConwayFinding[]>('/api/v1/catalog/conway');
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Conway's law</h1>
          <p className="lead">
            Systems end up shaped like the organization that builds them. When a service depends on one owned by another team,
            those teams need a way of working together. Vigil compares the dependency graph with the team interactions declared in
            the catalog and lists the dependencies that cross team lines without one.
          </p>
        </div>
      </div>
      <Loaded resource={findings} label="Comparing dependencies with team interactions…">
        {(data) => {
          const items = Array.isArray(data) ? data : data.items;
          if (items.length === 0) {
            return (
              <EmptyState title="Architecture and organization agree" tone="good">
                <p>Every dependency that crosses team lines is covered by a declared team interaction.</p>
              </EmptyState>
            );
          }
          return (
            <>
              <p role="status">
                <strong>{items.length}</strong> {items.length === 1 ? 'dependency crosses' : 'dependencies cross'} team lines
                without a declared interaction. Either declare how the teams work together (<code>interactions</code> in the
                team's manifest), or reconsider the dependency or its ownership.
              </p>
              <div className="table-wrap">
                <table className="table stack-on-phone">
                  <caption className="sr-only">Conway's law findings</caption>
                  <thead>
                    <tr>
                      <th scope="col">Dependent</th>
                      <th scope="col">Depends on</th>
                      <th scope="col">Finding</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((f) => (
                      <tr key={`${f.from.ref}->${f.to.ref}`}>
                        <td className="nowrap">
                          <RefLink entityRef={f.from.ref} />
                          <div className="cell-sub">
                            <span className="muted">team </span>
                            <TeamLink team={f.from.owner} />
                          </div>
                        </td>
                        <td className="nowrap">
                          <span className="phone-only muted" aria-hidden="true">
                            depends on{' '}
                          </span>
                          <RefLink entityRef={f.to.ref} />
                          <div className="cell-sub">
                            <span className="muted">team </span>
                            <TeamLink team={f.to.owner} />
                          </div>
                        </td>
                        <td>{f.message}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          );
        }}
      </Loaded>
    </>
  );
}
