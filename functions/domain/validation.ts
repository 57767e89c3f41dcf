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

/**
 * Paths of own `__proto__` keys in parsed JSON. `JSON.parse` makes them ordinary own properties,
 * but zod (like any object assignment) drops them silently, so `{"columns": {"__proto__": …}}`
 * would be accepted as if the key were absent. They are reported as unknown fields instead.
 */
function prototypeKeys(value: unknown, path: PropertyKey[], found: string[], depth = 0): string[] {
  if (typeof value !== 'object' || value === null || depth > 32) return found;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      prototypeKeys(item, [...path, i], found, depth + 1);
    });
    return found;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') found.push(fieldPath([...path, key]));
    else prototypeKeys((value as Record<string, unknown>)[key], [...path, key], found, depth + 1);
  }
  return found;
}

/** Parses `input` with `schema` or throws a ValidationError naming each bad field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): z.output<S> {
  const hidden = prototypeKeys(input, [...prefix], []);
  const result = schema.safeParse(input);
  const issues = [
    ...hidden.map((field) => ({ field, message: 'unknown field' })),
    ...(result.success ? [] : zodIssues(result.error, prefix)),
  ];
  if (issues.length > 0 || !result.success) throw new ValidationError(issues);
  return result.data;
}
