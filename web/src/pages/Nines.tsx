import { useEffect, useId, useMemo, useState } from 'react';
// The calculator shares its arithmetic with `vigil nines`, so the page and the CLI never disagree.
import { formatDowntime, type NinesRow, ninesTable, PERIODS_MS, parseTargetPercent } from '../../../src/slo/nines.ts';
import { parseDuration } from '../format.ts';
import { navigate, useLocation, withQuery } from '../router.tsx';
import { useTitle } from '../title.ts';

const DEFAULT_TARGETS = '99.9 99.95 99.99 99.995 99.999';
const DEFAULT_WINDOW = '28d';
const WINDOW_PRESETS = ['1d', '7d', '28d', '30d', '90d'];
const PERIODS = ['day', 'week', 'month', 'quarter', 'year'] as const;

const minutes = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

interface Parsed {
  targets: number[];
  errors: string[];
}

function parseTargets(text: string): Parsed {
  const targets: number[] = [];
  const errors: string[] = [];
  for (const token of text.split(/[\s,;]+/).filter(Boolean)) {
    try {
      targets.push(parseTargetPercent(token));
    } catch {
      errors.push(`"${token}" is not a percentage between 0 and 100, such as 99.95`);
    }
  }
  return { targets: [...new Set(targets)], errors };
}

const days = (ms: number) => `${Number((ms / 86_400_000).toFixed(2))} days`;

export function NinesPage() {
  useTitle('Nines');
  const { pathname, query } = useLocation();
  const [targetsText, setTargetsText] = useState(() => query.get('targets') ?? DEFAULT_TARGETS);
  const [windowText, setWindowText] = useState(() => query.get('window') ?? DEFAULT_WINDOW);
  const targetsId = useId();
  const windowId = useId();

  // The inputs live in the URL (replaced, not pushed), so a table can be shared as a link.
  useEffect(() => {
    const timer = setTimeout(() => {
      navigate(
        withQuery(pathname, {
          targets: targetsText === DEFAULT_TARGETS ? null : targetsText,
          window: windowText === DEFAULT_WINDOW ? null : windowText,
        }),
        { replace: true },
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [pathname, targetsText, windowText]);

  const parsed = useMemo(() => parseTargets(targetsText), [targetsText]);
  const windowMs = windowText.trim() === '' ? null : parseDuration(windowText);
  const windowInvalid = windowText.trim() !== '' && windowMs === null;
  const rows: NinesRow[] = useMemo(() => ninesTable(parsed.targets, windowMs), [parsed.targets, windowMs]);
  const windowLabel = windowMs === null ? null : windowText.trim();

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Nines calculator</h1>
          <p className="lead">
            How much downtime an availability target allows. Every extra nine cuts it tenfold; pick a target your users need and
            your team can keep.
          </p>
        </div>
      </div>

      <form className="filters nines-form" onSubmit={(e) => e.preventDefault()}>
        <div className="field field-grow">
          <label htmlFor={targetsId}>Targets (%)</label>
          <input
            id={targetsId}
            value={targetsText}
            onChange={(e) => setTargetsText(e.target.value)}
            inputMode="decimal"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={parsed.errors.length > 0}
            aria-describedby={`${targetsId}-hint${parsed.errors.length > 0 ? ` ${targetsId}-error` : ''}`}
          />
          <p id={`${targetsId}-hint`} className="hint">
            Separated by spaces or commas, e.g. 99.9 99.95
          </p>
        </div>
        <div className="field">
          <label htmlFor={windowId}>SLO window</label>
          <input
            id={windowId}
            value={windowText}
            onChange={(e) => setWindowText(e.target.value)}
            list={`${windowId}-presets`}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={windowInvalid}
            aria-describedby={`${windowId}-hint${windowInvalid ? ` ${windowId}-error` : ''}`}
          />
          <datalist id={`${windowId}-presets`}>
            {WINDOW_PRESETS.map((w) => (
              <option key={w} value={w} />
            ))}
          </datalist>
          <p id={`${windowId}-hint`} className="hint">
            A duration: 28d, 4w, 90d
          </p>
        </div>
      </form>
      <div role="alert" className="nines-errors">
        {parsed.errors.length > 0 && (
          <ul id={`${targetsId}-error`} className="field-error">
            {parsed.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        )}
        {windowInvalid && (
          <p id={`${windowId}-error`} className="field-error">
            "{windowText}" is not a duration; write it like 28d, 4w or 720h.
          </p>
        )}
      </div>

      {rows.length === 0 ? (
        <p className="muted">Enter a target to see the downtime it allows.</p>
      ) : (
        <div className="table-wrap nines-wrap">
          <table className="table nines-table">
            <caption className="sr-only">Allowed downtime per period for each target</caption>
            <thead>
              <tr>
                <th scope="col">Target</th>
                <th scope="col" className="num">
                  Nines
                </th>
                {PERIODS.map((p) => (
                  <th key={p} scope="col" className="num" title={days(PERIODS_MS[p])}>
                    Per {p}
                  </th>
                ))}
                {windowLabel && (
                  <th scope="col" className="num col-window">
                    Per {windowLabel}
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.targetPercent} data-target={r.targetPercent}>
                  <th scope="row">{r.targetPercent}%</th>
                  <td className="num">{Number(r.nines.toFixed(2))}</td>
                  {PERIODS.map((p) => (
                    <td key={p} className="num nowrap" data-period={p}>
                      {formatDowntime(r[p])}
                    </td>
                  ))}
                  {windowLabel && r.window !== null && (
                    <td className="num nowrap col-window" data-period="window">
                      {formatDowntime(r.window)}
                      <div className="cell-sub muted">{minutes.format(r.window / 60_000)} minutes</div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small nines-notes">
        A month is {days(PERIODS_MS.month)}, a quarter {days(PERIODS_MS.quarter)} and a year {days(PERIODS_MS.year)}. Times are
        cut to the second, never rounded up, so they never promise more downtime than the target allows. The same table is{' '}
        <code>
          vigil nines {parsed.targets.join(' ') || '99.9'}
          {windowLabel ? ` --window ${windowLabel}` : ''}
        </code>
        .
      </p>
    </>
  );
}
