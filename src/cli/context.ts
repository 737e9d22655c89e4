import type { Command } from 'commander';

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** Something failed: server error, network, bad response. */
  failure: 1,
  /** `plan` found drift (CI uses this). */
  drift: 2,
  /** The input was rejected (4xx other than auth / not found). */
  invalid: 3,
  unauthenticated: 4,
  notFound: 5,
} as const;

/** A failure the CLI reports as a message and an exit code, never as a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface GlobalOptions {
  server: string;
  token?: string;
  json: boolean;
}

/** Reads `--server`, `--token` and `--json` from the root program (with VIGIL_URL / VIGIL_TOKEN). */
export function globalOptions(cmd: Command): GlobalOptions {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const opts = { ...root.opts(), ...cmd.opts() } as { server?: string; token?: string; json?: boolean };
  return {
    server: (opts.server ?? process.env.VIGIL_URL ?? 'http://localhost:4600').replace(/\/+$/, ''),
    token: opts.token ?? process.env.VIGIL_TOKEN,
    json: Boolean(opts.json),
  };
}

interface ProblemBody {
  detail?: string;
  errors?: Array<{ path: string; message: string; file?: string; line?: number }>;
}

/** A small client for the Vigil API that turns problem+json into {@link CliError}s. */
export class ApiClient {
  readonly #server: string;
  readonly #token: string | undefined;

  constructor(opts: Pick<GlobalOptions, 'server' | 'token'>) {
    this.#server = opts.server;
    this.#token = opts.token;
  }

  get<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
    const suffix = qs.size > 0 ? `?${qs.toString()}` : '';
    return this.request<T>('GET', `${path}${suffix}`);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.#server}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new CliError(`cannot reach ${this.#server}: ${(error as Error).cause ?? (error as Error).message}`);
    }
    const text = await response.text();
    if (response.ok) return (text ? JSON.parse(text) : null) as T;
    let problemBody: ProblemBody = {};
    try {
      problemBody = JSON.parse(text) as ProblemBody;
    } catch {
      problemBody = { detail: text.slice(0, 500) };
    }
    const lines = [problemBody.detail ?? `${response.status} ${response.statusText}`];
    for (const e of problemBody.errors ?? []) {
      const where = e.file ? `${e.file}${e.line ? `:${e.line}` : ''}: ` : '';
      lines.push(`  ${where}${e.path}: ${e.message}`);
    }
    const code =
      response.status === 401
        ? EXIT.unauthenticated
        : response.status === 404
          ? EXIT.notFound
          : response.status < 500
            ? EXIT.invalid
            : EXIT.failure;
    if (response.status === 401 && !this.#token) lines.push('  (set VIGIL_TOKEN or pass --token)');
    throw new CliError(lines.join('\n'), code);
  }
}

/** Prints rows as an aligned table. */
export function printTable(rows: Array<Record<string, unknown>>, columns: string[], out = process.stdout): void {
  if (rows.length === 0) {
    out.write('(none)\n');
    return;
  }
  const cell = (v: unknown): string => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  out.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) out.write(`${line(columns.map((c) => cell(r[c])))}\n`);
}

export function printJson(value: unknown, out = process.stdout): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}
