import { z } from 'zod';
import { type FieldIssue, ValidationError } from './errors.js';

/**
 * An id as Postgres's `uuid` type holds it: any 8-4-4-4-12 hex string. Product user ids need not
 * carry RFC 9562 version or variant bits, so `z.uuid()` would refuse real users. Every path that
 * takes an id (API, worker messages, job options) uses this one schema.
 */
export const UuidSchema = z.guid();

/** Renders a zod issue path as the field name clients see: `filters.users.dateFrom`, `tables[1]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? 'body' : out;
}

/** Converts a zod error into field issues, one per problem, naming unknown keys individually. */
export function zodIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        issues.push({ field: fieldPath([...path, key]), message: 'unknown field' });
    } else {
      issues.push({ field: fieldPath(path), message: issue.message });
    }
  }
  return issues;
}

/** Parses `input` with `schema` or throws a ValidationError naming each bad field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(zodIssues(result.error, prefix));
  return result.data;
}
