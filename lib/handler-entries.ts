import { fileURLToPath } from 'node:url';

/** Repository root: `lib/` refers to Lambda code by file path only, relative to this directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Every Lambda entry point of the service, by construct-friendly name. The single list that the
 * stack, the infra tests and `scripts/bundle-size.ts` share, so a new handler is added in one place.
 */
export const HANDLER_ENTRIES = {
  authorizer: 'functions/handlers/authorizer.ts',
  userExport: 'functions/handlers/user-export.ts',
  bulkExport: 'functions/handlers/bulk-export.ts',
  getJob: 'functions/handlers/get-job.ts',
  listJobs: 'functions/handlers/list-jobs.ts',
  cancelJob: 'functions/handlers/cancel-job.ts',
  downloadJob: 'functions/handlers/download-job.ts',
  listSchedules: 'functions/handlers/list-schedules.ts',
  runSchedule: 'functions/handlers/run-schedule.ts',
  getMetrics: 'functions/handlers/get-metrics.ts',
  getLimits: 'functions/handlers/get-limits.ts',
  getCatalogue: 'functions/handlers/get-catalogue.ts',
  openapi: 'functions/handlers/openapi.ts',
  exportWorker: 'functions/handlers/export-worker.ts',
  sweepJobs: 'functions/handlers/sweep-jobs.ts',
} as const;

export type HandlerName = keyof typeof HANDLER_ENTRIES;

/** Absolute path of a handler entry file. */
export function handlerEntryPath(name: HandlerName): string {
  return fileURLToPath(new URL(`../${HANDLER_ENTRIES[name]}`, import.meta.url));
}
