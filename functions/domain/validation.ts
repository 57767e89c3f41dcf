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

/**
 * The field of the first `__proto__` key in parsed JSON, if any. No field of the API has that name,
 * and zod drops such a key from objects and records without validating its value, so a request
 * naming one (`filters.__proto__`) would be accepted with that part silently ignored.
 */
export function protoKeyField(value: unknown): string | undefined {
  const pending: { value: unknown; path: PropertyKey[] }[] = [{ value, path: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const current = next.value;
    if (current === null || typeof current !== 'object') continue;
    if (Array.isArray(current)) {
      current.forEach((item, index) => {
        pending.push({ value: item, path: [...next.path, index] });
      });
      continue;
    }
    if (Object.hasOwn(current, '__proto__')) return fieldPath([...next.path, '__proto__']);
    for (const [key, item] of Object.entries(current))
      pending.push({ value: item, path: [...next.path, key] });
  }
  return undefined;
}
