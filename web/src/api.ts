import { useCallback, useEffect, useState } from 'react';
import type { Problem } from './types.ts';

/** A failed API call, carrying the server's RFC 9457 problem (or one made up for network errors). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** The session's CSRF token; the server refuses cookie-authenticated writes without it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request made inside the app comes back 401 (the session expired or was revoked). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Leave 401s to the caller instead of ending the session (login and session probes). */
  quiet401?: boolean;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (MUTATING.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      credentials: 'same-origin',
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError({
      title: 'Network error',
      status: 0,
      code: 'NETWORK',
      detail: 'Could not reach the Vigil server. Check your connection and try again.',
    });
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const p = body as Partial<Problem> | null;
    const problem: Problem = {
      title: p?.title ?? response.statusText ?? 'Error',
      status: p?.status ?? response.status,
      code: p?.code ?? `HTTP_${response.status}`,
      detail: p?.detail ?? `The server answered ${response.status} ${response.statusText}`.trim(),
      ...(p?.errors ? { errors: p.errors } : {}),
    };
    if (response.status === 401 && !options.quiet401) onUnauthenticated?.();
    throw new ApiError(problem);
  }
  return body as T;
}

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Fetches `path` and refetches when it changes. A `null` path fetches nothing. Stale data stays
 * visible while the next page loads so filters don't flash an empty table.
 */
export function useApi<T>(path: string | null): Resource<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({
    data: null,
    error: null,
    loading: path !== null,
  });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` is the reload trigger
  useEffect(() => {
    if (path === null) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ ...s, error: null, loading: true }));
    api<T>(path, { signal: controller.signal }).then(
      (data) => setState({ data, error: null, loading: false }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const e =
          error instanceof ApiError ? error : new ApiError({ title: 'Error', status: 0, code: 'CLIENT', detail: String(error) });
        setState({ data: null, error: e, loading: false });
      },
    );
    return () => controller.abort();
  }, [path, generation]);

  return { ...state, reload };
}

/** Encodes one path segment (names are DNS-label style, but a URL typed by hand may not be). */
export const seg = (value: string): string => encodeURIComponent(value);
