import * as z from 'zod/mini';
import { API_TABLES } from '../../wiring/handler-needs.js';
import {
  BulkExportBody,
  IdempotencyKey,
  JobAccepted,
  NoParams,
  UserExportJson,
  UserExportPath,
  UserExportQuery,
} from '../api-schemas.js';
import type { RouteSpec } from '../route-spec.js';

const accepted = { description: 'the export job was queued', schema: JobAccepted };

/** Routes that create exports: a person's own data and an admin's bulk export. */
export const EXPORT_ROUTES = {
  userExport: {
    operationId: 'exportUser',
    method: 'get',
    path: '/user/{userId}',
    handler: 'user-export.ts',
    summary: "Export a user's data (inline when small, else a queued job)",
    access: 'self-or-admin',
    auth: 'bearer',
    rateLimited: true,
    needs: { ...API_TABLES, send: true },
    memorySize: 1024,
    pathParams: UserExportPath,
    query: UserExportQuery,
    headers: [
      {
        name: 'Prefer',
        schema: z.string().check(z.maxLength(200)),
        description: '`respond-async` always answers 202 with a job',
      },
    ],
    responses: {
      200: {
        description:
          'the export: JSON `{profile, transactions, courses, activity, exportedAt}`, one XML document, or a zip of one CSV/NDJSON file per section',
        schema: UserExportJson,
        contentTypes: ['application/xml', 'application/zip'],
        headers: { 'Content-Disposition': 'attachment; filename="user-<id>-export.<ext>"' },
      },
      202: accepted,
    },
  },
  bulkExport: {
    operationId: 'exportBulk',
    method: 'post',
    path: '/bulk',
    handler: 'bulk-export.ts',
    summary: 'Queue a bulk export of catalogue tables',
    access: 'admin',
    auth: 'bearer',
    rateLimited: true,
    needs: { ...API_TABLES, send: true },
    query: NoParams,
    headers: [
      {
        name: 'Idempotency-Key',
        schema: IdempotencyKey,
        description: 'the same key and body return the same job; the same key with another body is a 409',
      },
    ],
    body: BulkExportBody,
    responses: { 202: accepted },
  },
} as const satisfies Record<string, RouteSpec>;
