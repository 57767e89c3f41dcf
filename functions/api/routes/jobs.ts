import { API_TABLES } from '../../wiring/handler-needs.js';
import {
  DownloadLink,
  DownloadQuery,
  JobFilesResponse,
  JobList,
  JobPath,
  JobViewSchema,
  ListJobsQuery,
  NoParams,
} from '../api-schemas.js';
import type { RouteSpec } from '../route-spec.js';

const job = { description: 'the job', schema: JobViewSchema };

/** Routes of jobs: list, view, cancel, files and downloads. */
export const JOB_ROUTES = {
  listJobs: {
    operationId: 'listJobs',
    method: 'get',
    path: '/jobs',
    handler: 'list-jobs.ts',
    summary: "The caller's jobs (admins: all jobs), newest first",
    access: 'any',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    query: ListJobsQuery,
    responses: { 200: { description: 'one page of jobs', schema: JobList } },
  },
  getJob: {
    operationId: 'getJob',
    method: 'get',
    path: '/jobs/{jobId}',
    handler: 'get-job.ts',
    summary: 'Status, progress, timings, error and download link of a job',
    access: 'owner-or-admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    pathParams: JobPath,
    query: NoParams,
    responses: { 200: job },
  },
  cancelJob: {
    operationId: 'cancelJob',
    method: 'delete',
    path: '/jobs/{jobId}',
    handler: 'cancel-job.ts',
    summary: 'Cancel a queued job, or ask a running one to stop',
    access: 'owner-or-admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    pathParams: JobPath,
    query: NoParams,
    responses: {
      200: { description: 'the queued job was cancelled', schema: JobViewSchema },
      202: { description: 'the running job will stop within seconds', schema: JobViewSchema },
    },
  },
  listJobFiles: {
    operationId: 'listJobFiles',
    method: 'get',
    path: '/jobs/{jobId}/files',
    handler: 'list-job-files.ts',
    summary: "A completed job's files with their download links, and its manifest's",
    access: 'owner-or-admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    pathParams: JobPath,
    query: NoParams,
    responses: { 200: { description: 'the files', schema: JobFilesResponse } },
  },
  downloadJob: {
    operationId: 'downloadJob',
    method: 'get',
    path: '/jobs/{jobId}/download',
    handler: 'download-job.ts',
    summary: "Redirect to a freshly presigned URL of a completed job's file (or one of its files)",
    access: 'owner-or-admin',
    auth: 'bearer-or-link',
    rateLimited: false,
    needs: { ...API_TABLES, objects: 'read', linkSecret: true },
    pathParams: JobPath,
    query: DownloadQuery,
    responses: {
      200: {
        description:
          'with `Accept: application/json`: the presigned URL as JSON (a browser script cannot read a cross-origin redirect)',
        schema: DownloadLink,
      },
      302: { description: 'Location: a presigned URL valid for a few minutes' },
    },
  },
} as const satisfies Record<string, RouteSpec>;
