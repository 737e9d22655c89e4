import type { ReactNode } from 'react';
import type { ApiError } from '../api.ts';
import { Link } from '../router.tsx';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorNotice({
  error,
  onRetry,
  title = 'Something went wrong',
}: {
  error: ApiError | Error;
  onRetry?: () => void;
  title?: string;
}) {
  const status = 'status' in error ? (error as ApiError).status : 0;
  const heading = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : title;
  return (
    <div className="notice notice-error" role="alert">
      <strong>{heading}</strong>
      <p>{error.message}</p>
      {onRetry && status !== 404 && status !== 403 && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({
  title,
  children,
  tone = 'neutral',
}: {
  title: string;
  children?: ReactNode;
  tone?: 'neutral' | 'good';
}) {
  return (
    <div className={`empty empty-${tone}`}>
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

/** Wraps content that depends on one resource: spinner first, error with retry, then the content. */
export function Loaded<T>({
  resource,
  children,
  label,
}: {
  resource: { data: T | null; error: ApiError | null; loading: boolean; reload: () => void };
  children: (data: T) => ReactNode;
  label?: string;
}) {
  if (resource.error) return <ErrorNotice error={resource.error} onRetry={resource.reload} />;
  if (resource.data === null) return <Loading label={label} />;
  return <>{children(resource.data)}</>;
}

/**
 * A detail page: the breadcrumb trail to it, then its content once loaded. While nothing is
 * loaded the page shows its name with a spinner, or the error with a retry; a failed refresh of a
 * page already shown keeps what it showed.
 */
export function DetailPage<T>({
  trail,
  name,
  resource,
  children,
}: {
  trail: Array<{ to: string; label: string }>;
  name: string;
  resource: { data: T | null; error: ApiError | null; reload: () => void };
  children: (data: T) => ReactNode;
}) {
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          {trail.map((step) => (
            <li key={step.to}>
              <Link to={step.to}>{step.label}</Link>
            </li>
          ))}
          <li aria-current="page">{name}</li>
        </ol>
      </nav>
      {resource.data !== null ? (
        children(resource.data)
      ) : (
        <>
          <h1>{name}</h1>
          {resource.error ? <ErrorNotice error={resource.error} onRetry={resource.reload} /> : <Loading />}
        </>
      )}
    </>
  );
}
