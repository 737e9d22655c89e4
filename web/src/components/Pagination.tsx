import { Link } from '../router.tsx';

/** Previous/next links (real hrefs, so pages can be opened in a new tab or bookmarked). */
export function Pagination({
  total,
  limit,
  offset,
  href,
}: {
  total: number;
  limit: number;
  offset: number;
  href: (offset: number) => string;
}) {
  if (total <= limit && offset === 0) return null;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const prev = offset > 0 ? Math.max(0, offset - limit) : null;
  const next = offset + limit < total ? offset + limit : null;
  return (
    <nav className="pagination" aria-label="Pagination">
      {prev !== null ? (
        <Link className="button" to={href(prev)} rel="prev">
          ← Previous
        </Link>
      ) : (
        <span className="button" aria-disabled="true">
          ← Previous
        </span>
      )}
      <span aria-current="page">
        Page {page} of {pages}
      </span>
      {next !== null ? (
        <Link className="button" to={href(next)} rel="next">
          Next →
        </Link>
      ) : (
        <span className="button" aria-disabled="true">
          Next →
        </span>
      )}
    </nav>
  );
}
