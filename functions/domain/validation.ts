import type { z } from 'zod';
import { type FieldIssue, ValidationError } from './errors.js';

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
