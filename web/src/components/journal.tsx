import { Time } from '../time.tsx';
import type { JournalEntry } from '../types.ts';

function short(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return value.length > 60 ? `${value.slice(0, 57)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.length}]`;
  return '{…}';
}

/** A one-line digest of an entry's data; the full JSON is one click away. */
export function DataSummary({ data }: { data: Record<string, unknown> }) {
  const entries = Object.entries(data);
  if (entries.length === 0) return <span className="muted">—</span>;
  const shown = entries.slice(0, 3);
  return (
    <details className="data-summary">
      <summary>
        {shown.map(([k, v], i) => (
          <span key={k}>
            {i > 0 ? ', ' : ''}
            <span className="muted">{k}</span>={short(v)}
          </span>
        ))}
        {entries.length > shown.length ? <span className="muted"> +{entries.length - shown.length} more</span> : null}
      </summary>
      <pre className="code">{JSON.stringify(data, null, 2)}</pre>
    </details>
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the entry is about, by name when its data carries one; bare ids are shortened like git hashes. */
export function Subject({ entry }: { entry: JournalEntry }) {
  const name = typeof entry.data.name === 'string' ? entry.data.name : typeof entry.data.ref === 'string' ? entry.data.ref : null;
  const id = entry.subjectId;
  if (!name && !id && !entry.subjectType) return <span className="muted">—</span>;
  const label = name ?? (id && UUID.test(id) ? id.slice(-8) : id);
  return (
    <span title={id ?? undefined}>
      {entry.subjectType ? <span className="muted">{entry.subjectType} </span> : null}
      {label}
    </span>
  );
}

export function JournalTable({ items, caption, fresh }: { items: JournalEntry[]; caption: string; fresh?: ReadonlySet<number> }) {
  return (
    <div className="table-wrap">
      <table className="table journal-table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Actor</th>
            <th scope="col" className="col-subject">
              Subject
            </th>
            <th scope="col" className="col-data">
              Details
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.seq} className={fresh?.has(e.seq) ? 'row-fresh' : undefined} data-seq={e.seq}>
              <td className="nowrap">
                <Time at={e.at} />
              </td>
              <td>
                <code className="kind-code">{e.kind}</code>
              </td>
              <td className="nowrap">{e.actor}</td>
              <td className="col-subject">
                <Subject entry={e} />
              </td>
              <td className="col-data">
                <DataSummary data={e.data} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
