import { type ColumnSpec, paramRef } from '../engine/export-source.js';
import type { ExportSection } from '../engine/run-export.js';
import { CATALOGUE, quoteIdent } from './catalogue.js';

const USER = paramRef('user_id', 'uuid');

/** The sections of a user export, in document order: what its job row lists as its tables. */
export const USER_EXPORT_SECTIONS = ['profile', 'transactions', 'courses', 'activity'] as const;

/** A catalogue column's spec, so the joined section carries the catalogue's types (modifiers included). */
const column = (table: string, name: string): ColumnSpec => {
  const spec = CATALOGUE[table]?.columns.find((c) => c.name === name);
  if (!spec) throw new Error(`${table}.${name} is not in the export catalogue`);
  return spec;
};

const select = (table: string, where: string, order: string): ExportSection => {
  const t = CATALOGUE[table]!;
  return {
    name: table,
    sql: `SELECT ${t.columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${quoteIdent(table)} WHERE ${where} ORDER BY ${order}`,
    params: {},
    columns: t.columns,
  };
};

/**
 * The sections of a user's "download your data" export (docs/architecture.md): profile (one object),
 * transactions, courses (enrollments with the course title) and activity, in that order.
 * The user id is bound as a parameter; it must already be a validated UUID.
 */
export function userExportSections(userId: string): ExportSection[] {
  const params = { user_id: userId };
  const profile = select('users', `"id" = ${USER}`, '"id"');
  const transactions = select('transactions', `"user_id" = ${USER}`, '"created_at", "id"');
  const activity = select('activity_logs', `"user_id" = ${USER}`, '"created_at", "id"');
  return [
    { ...profile, name: 'profile', params, single: true },
    { ...transactions, params },
    {
      name: 'courses',
      sql:
        'SELECT e."id" AS "enrollment_id", e."course_id", c."title", e."status", e."progress", e."enrolled_at", e."completed_at" ' +
        `FROM "enrollments" e JOIN "courses" c ON c."id" = e."course_id" WHERE e."user_id" = ${USER} ORDER BY e."enrolled_at", e."id"`,
      params,
      columns: [
        { ...column('enrollments', 'id'), name: 'enrollment_id' },
        column('enrollments', 'course_id'),
        column('courses', 'title'),
        column('enrollments', 'status'),
        column('enrollments', 'progress'),
        column('enrollments', 'enrolled_at'),
        column('enrollments', 'completed_at'),
      ],
    },
    { ...activity, name: 'activity', params },
  ];
}
