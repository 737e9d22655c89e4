import type { z } from 'zod';
import { type FieldIssue, InputError } from '../../core/errors.ts';

/** Field issues from a failed zod parse, each path under `prefix` (`silence` + `comment` → `silence.comment`). */
export function zodIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((i) => {
    let path = prefix;
    for (const p of i.path) path += typeof p === 'number' ? `[${p}]` : path === '' ? String(p) : `.${String(p)}`;
    return { path, message: i.message };
  });
}

/** One {@link InputError} carrying every issue. */
export function inputError(issues: readonly FieldIssue[]): InputError {
  return new InputError(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), [...issues]);
}

/** Throws {@link inputError} when there is any issue. */
export function throwIssues(issues: readonly FieldIssue[]): void {
  if (issues.length > 0) throw inputError(issues);
}

/** The issues of an {@link InputError}; anything else is rethrown. */
export function issuesOf(error: unknown): FieldIssue[] {
  if (error instanceof InputError) return error.issues.length > 0 ? error.issues : [{ path: '', message: error.message }];
  throw error;
}
