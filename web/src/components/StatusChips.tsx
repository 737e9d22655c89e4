import type { ReactNode } from 'react';

/**
 * A total and one chip per status with its count, used to filter a list by status (probes,
 * alerts). Pressing a chip filters by it; pressing the pressed chip clears the filter.
 */
export function StatusChips<S extends string>({
  statuses,
  counts,
  current,
  total,
  className,
  pill,
  chipClass,
  titleOf,
  onPick,
  cleared,
}: {
  statuses: readonly S[];
  counts: Record<S, number>;
  current: string;
  /** The sentence before the chips, e.g. "12 probes". */
  total: ReactNode;
  className?: string;
  pill: (status: S) => ReactNode;
  chipClass?: (status: S) => string;
  /** The chip's tooltip: what pressing it does. */
  titleOf: (status: S, pressed: boolean) => string;
  onPick: (status: S | string) => void;
  /** The filter value that pressing the pressed chip returns to. */
  cleared: string;
}) {
  return (
    <div className={`probe-counts${className ? ` ${className}` : ''}`}>
      <p className="probe-counts-total">{total}</p>
      <ul aria-label="Filter by status">
        {statuses.map((s) => {
          const pressed = current === s;
          return (
            <li key={s}>
              <button
                type="button"
                className={`chip status-chip${chipClass ? ` ${chipClass(s)}` : ''}${counts[s] === 0 ? ' status-chip-zero' : ''}`}
                aria-pressed={pressed}
                data-status={s}
                onClick={() => onPick(pressed ? cleared : s)}
                title={titleOf(s, pressed)}
              >
                {pill(s)} <strong className="status-chip-count">{counts[s]}</strong>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
