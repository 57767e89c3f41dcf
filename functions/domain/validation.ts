import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';
import { type FieldIssue, ValidationError } from './errors.js';

// The service's schemas use zod's tree-shakable build, so a Lambda bundles only the parts it
// uses; it ships no locale, and its messages are what clients read in a 400: English, once.
z.config(en());

/** Any schema of the service (zod/mini and classic zod schemas alike). */
export type Schema = z.core.$ZodType;

/**
 * An id as Postgres's `uuid` type holds it: any 8-4-4-4-12 hex string. Product user ids need not
 * carry RFC 9562 version or variant bits, so `z.uuid()` would refuse real users. Every path that
 * takes an id (API, worker messages, job options) uses this one schema.
 */
export const UuidSchema = z.guid();

/** A string holding JSON whose parsed value `schema` validates (an SQS message body, say). */
export function jsonText<S extends Schema>(schema: S) {
  return z.pipe(
    z.string(),
    z.pipe(
      z.transform((text: string, context) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          context.issues.push({ code: 'custom', message: 'must be JSON', input: text });
          return z.NEVER;
        }
      }),
      schema,
    ),
  );
}

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
export function zodIssues(error: z.core.$ZodError, prefix: readonly PropertyKey[] = []): FieldIssue[] {
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
export function parseOrThrow<S extends Schema>(
  schema: S,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): z.output<S> {
  const hidden = prototypeKeys(input, [...prefix], []);
  const result = z.safeParse(schema, input);
  const issues = [
    ...hidden.map((field) => ({ field, message: 'unknown field' })),
    ...(result.success ? [] : zodIssues(result.error, prefix)),
  ];
  if (issues.length > 0 || !result.success) throw new ValidationError(issues);
  return result.data;
}
