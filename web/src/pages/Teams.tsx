import { seg, useApi } from '../api.ts';
import { TeamTypeBadge } from '../components/badges.tsx';
import { EntityTable } from '../components/EntityTable.tsx';
import { DetailPage, EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { icons } from '../icons.tsx';
import { Link } from '../router.tsx';
import { useTeams } from '../teams.ts';
import { useTitle } from '../title.ts';
import type { TeamDetail } from '../types.ts';

const MODE_LABELS: Record<string, string> = {
  collaboration: 'Collaboration',
  'x-as-a-service': 'X-as-a-Service',
  facilitating: 'Facilitating',
};

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function TeamsPage() {
  useTitle('Teams');
  const teams = useTeams();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Teams</h1>
          <p className="lead">Who owns what, and how teams work together, in Team Topologies terms.</p>
        </div>
      </div>
      {teams.error ? (
        <ErrorNotice error={teams.error} onRetry={teams.reload} />
      ) : !teams.data ? (
        <Loading label="Loading teams…" />
      ) : teams.data.length === 0 ? (
        <EmptyState title="No teams yet">
          <p>
            Declare teams in a manifest (<code>kind: Team</code> or a Backstage <code>Group</code>) and run{' '}
            <code>vigil apply -f teams.yaml</code>.
          </p>
        </EmptyState>
      ) : (
        <ul className="card-grid" aria-label="Teams">
          {teams.data.map((t) => (
            <li key={t.name} className="card team-card">
              <div className="team-card-head">
                <h2>
                  <Link to={`/teams/${seg(t.name)}`}>{t.title || t.name}</Link>
                </h2>
                <TeamTypeBadge type={t.type} />
              </div>
              {t.title && t.title !== t.name && <p className="muted mono">{t.name}</p>}
              {t.description && <p className="clamp">{t.description}</p>}
              <p className="muted team-counts">
                {t.memberCount !== undefined && <span>{plural(t.memberCount, 'member', 'members')}</span>}
                {t.entityCount !== undefined && <span>{plural(t.entityCount, 'entity', 'entities')}</span>}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function TeamPage({ name }: { name: string }) {
  useTitle(name);
  const team = useApi<TeamDetail>(`/api/v1/teams/${seg(name)}`);
  return (
    <DetailPage trail={[{ to: '/teams', label: 'Teams' }]} name={name} resource={team}>
      {(data) => <TeamView team={data} />}
    </DetailPage>
  );
}

function TeamView({ team }: { team: TeamDetail }) {
  const links = team.links ?? [];
  const members = team.members ?? [];
  const interactions = team.interactions ?? [];
  const entities = team.entities ?? [];
  return (
    <>
      <div className="page-header">
        <div>
          <h1>
            {team.title || team.name} <TeamTypeBadge type={team.type} />
          </h1>
          {team.title && team.title !== team.name && <p className="muted mono">{team.name}</p>}
          {team.description && <p className="lead">{team.description}</p>}
        </div>
      </div>

      <div className="grid-2">
        <section className="card" aria-labelledby="members-title">
          <h2 id="members-title">Members ({members.length})</h2>
          {members.length === 0 ? (
            <p className="muted">No members yet.</p>
          ) : (
            <ul className="member-list">
              {members.map((m) => (
                <li key={m.name}>
                  <span className="avatar" aria-hidden="true">
                    {(m.displayName || m.name).slice(0, 1).toUpperCase()}
                  </span>
                  <span>
                    {m.displayName || m.name}
                    {m.displayName && <span className="muted"> · {m.name}</span>}
                    {m.role && m.role !== 'member' && <span className="badge">{m.role}</span>}
                  </span>
                </li>
              ))}
            </ul>
          )}
          {links.length > 0 && (
            <>
              <h3>Links</h3>
              <ul className="link-list">
                {links.map((l) => (
                  <li key={l.url}>
                    <a href={l.url} target="_blank" rel="noopener noreferrer">
                      {l.title || l.url} {icons.external}
                      <span className="sr-only"> (opens in a new tab)</span>
                    </a>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>

        <section className="card" aria-labelledby="interactions-title">
          <h2 id="interactions-title">Interactions ({interactions.length})</h2>
          {interactions.length === 0 ? (
            <p className="muted">
              No declared interactions. Teams whose services depend on each other without one show up on the{' '}
              <Link to="/conway">Conway</Link> page.
            </p>
          ) : (
            <ul className="interaction-list">
              {interactions.map((i) => (
                <li key={`${i.team}-${i.mode}-${i.direction ?? ''}`}>
                  <div>
                    <span className={`badge mode mode-${i.mode}`}>{MODE_LABELS[i.mode] ?? i.mode}</span>{' '}
                    {i.direction === 'incoming' ? <span className="muted">from </span> : <span className="muted">with </span>}
                    <Link to={`/teams/${seg(i.team)}`}>{i.team}</Link>
                  </div>
                  {i.description && <p className="muted">{i.description}</p>}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <section aria-labelledby="owned-title">
        <h2 id="owned-title">Owns ({entities.length})</h2>
        {entities.length === 0 ? (
          <EmptyState title={`${team.name} owns nothing in the catalog yet`}>
            <p>
              Set <code>spec.owner: {team.name}</code> in a descriptor and run <code>vigil apply</code>.
            </p>
          </EmptyState>
        ) : (
          <EntityTable items={entities} caption={`Entities owned by ${team.name}`} showOwner={false} />
        )}
      </section>
    </>
  );
}
