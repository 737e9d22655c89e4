import { Link } from '../router.tsx';

const TEAM_TYPE_LABELS: Record<string, string> = {
  'stream-aligned': 'Stream-aligned',
  platform: 'Platform',
  enabling: 'Enabling',
  'complicated-subsystem': 'Complicated subsystem',
};

/** Team Topologies team type, in the colours the book uses for each type. */
export function TeamTypeBadge({ type }: { type: string }) {
  const known = type in TEAM_TYPE_LABELS;
  return (
    <span className={`badge team-type ${known ? `team-type-${type}` : ''}`} title="Team Topologies team type">
      {TEAM_TYPE_LABELS[type] ?? type}
    </span>
  );
}

export function TierBadge({ tier }: { tier: string | null }) {
  if (!tier) return <span className="muted">—</span>;
  return <span className={`badge tier tier-${tier.replace(/[^a-z0-9-]/gi, '')}`}>{tier}</span>;
}

export function LifecycleBadge({ lifecycle }: { lifecycle: string | null }) {
  if (!lifecycle) return <span className="muted">—</span>;
  return <span className={`badge lifecycle lifecycle-${lifecycle.replace(/[^a-z0-9-]/gi, '')}`}>{lifecycle}</span>;
}

export function KindBadge({ kind }: { kind: string }) {
  return <span className="badge kind">{kind}</span>;
}

export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t} className="tag">
          {t}
        </li>
      ))}
    </ul>
  );
}

export function TeamLink({ team }: { team: string | null }) {
  if (!team) return <span className="muted">unowned</span>;
  return <Link to={`/teams/${encodeURIComponent(team)}`}>{team}</Link>;
}

export function entityPath(kind: string, name: string): string {
  return `/catalog/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`;
}

export function EntityLink({ kind, name, showKind = false }: { kind: string; name: string; showKind?: boolean }) {
  return (
    <Link to={entityPath(kind, name)}>
      {showKind && kind !== 'service' ? <span className="muted">{kind}:</span> : null}
      {name}
    </Link>
  );
}

/** `service:payments` → link to that entity. */
export function RefLink({ entityRef }: { entityRef: string }) {
  const i = entityRef.indexOf(':');
  const kind = i < 0 ? 'service' : entityRef.slice(0, i);
  const name = i < 0 ? entityRef : entityRef.slice(i + 1);
  return <EntityLink kind={kind} name={name} showKind />;
}
