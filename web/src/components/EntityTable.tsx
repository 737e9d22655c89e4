import { Time } from '../time.tsx';
import type { EntitySummary } from '../types.ts';
import { EntityLink, KindBadge, LifecycleBadge, Tags, TeamLink, TierBadge } from './badges.tsx';

/** A title that only re-cases the name ("Payments" for payments) adds nothing. */
export function distinctTitle(e: { name: string; title: string | null }): boolean {
  return !!e.title && e.title.toLowerCase() !== e.name.toLowerCase();
}

export function EntityTable({
  items,
  caption,
  showOwner = true,
}: {
  items: EntitySummary[];
  caption: string;
  showOwner?: boolean;
}) {
  return (
    <div className="table-wrap">
      <table className="table entity-table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" className="col-kind">
              Kind
            </th>
            {showOwner && <th scope="col">Owner</th>}
            <th scope="col">Tier</th>
            <th scope="col" className="col-lifecycle">
              Lifecycle
            </th>
            <th scope="col" className="col-tags">
              Tags
            </th>
            <th scope="col" className="col-updated">
              Updated
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.id}>
              <td className="cell-name">
                <EntityLink kind={e.kind} name={e.name} />
                {(distinctTitle(e) || e.description) && (
                  <div className="cell-sub">
                    {distinctTitle(e) ? <span>{e.title}</span> : null}
                    {distinctTitle(e) && e.description ? <span aria-hidden="true"> · </span> : null}
                    {e.description ? <span className="muted">{e.description}</span> : null}
                  </div>
                )}
              </td>
              <td className="col-kind">
                <KindBadge kind={e.kind} />
              </td>
              {showOwner && (
                <td>
                  <TeamLink team={e.owner} />
                </td>
              )}
              <td>
                <TierBadge tier={e.tier} />
              </td>
              <td className="col-lifecycle">
                <LifecycleBadge lifecycle={e.lifecycle} />
              </td>
              <td className="col-tags">
                <Tags tags={e.tags} />
              </td>
              <td className="col-updated">
                <Time at={e.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
