import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { RouteName } from '../functions/api/api-routes.js';
import { createHandler as bulkExport } from '../functions/handlers/bulk-export.js';
import { createHandler as cancelJob } from '../functions/handlers/cancel-job.js';
import { createHandler as deleteWebhook } from '../functions/handlers/delete-webhook.js';
import { createHandler as downloadJob } from '../functions/handlers/download-job.js';
import { handler as getCatalogue } from '../functions/handlers/get-catalogue.js';
import { createHandler as getJob } from '../functions/handlers/get-job.js';
import { createHandler as getLimits } from '../functions/handlers/get-limits.js';
import { createHandler as getMetrics } from '../functions/handlers/get-metrics.js';
import { createHandler as listJobFiles } from '../functions/handlers/list-job-files.js';
import { createHandler as listJobs } from '../functions/handlers/list-jobs.js';
import { createHandler as listSchedules } from '../functions/handlers/list-schedules.js';
import { createHandler as listWebhookDeliveries } from '../functions/handlers/list-webhook-deliveries.js';
import { createHandler as listWebhooks } from '../functions/handlers/list-webhooks.js';
import { handler as openapi } from '../functions/handlers/openapi.js';
import { createHandler as registerWebhook } from '../functions/handlers/register-webhook.js';
import { createHandler as runSchedule } from '../functions/handlers/run-schedule.js';
import { createHandler as testWebhook } from '../functions/handlers/test-webhook.js';
import { createHandler as userExport } from '../functions/handlers/user-export.js';
import type { ApiDeps } from '../functions/wiring/api-deps.js';

/** A route's function as API Gateway's Lambda proxy integration calls it. */
export type RouteHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Every route's handler built by its own factory over one set of dependencies: how a process that
 * serves the whole API composes it (the local runtime, the API test harness). Each Lambda composes
 * its own route instead, in its handler module's exported `handler`, from only the parts it uses.
 */
export function routeHandlers(
  deps: () => ApiDeps | Promise<ApiDeps>,
): Readonly<Record<RouteName, RouteHandler>> {
  const handlers = {
    userExport: userExport(deps),
    bulkExport: bulkExport(deps),
    listJobs: listJobs(deps),
    getJob: getJob(deps),
    cancelJob: cancelJob(deps),
    listJobFiles: listJobFiles(deps),
    downloadJob: downloadJob(deps),
    listSchedules: listSchedules(deps),
    runSchedule: runSchedule(deps),
    getMetrics: getMetrics(deps),
    getLimits: getLimits(deps),
    getCatalogue,
    registerWebhook: registerWebhook(deps),
    listWebhooks: listWebhooks(deps),
    deleteWebhook: deleteWebhook(deps),
    listWebhookDeliveries: listWebhookDeliveries(deps),
    testWebhook: testWebhook(deps),
    openapi,
  } satisfies Record<RouteName, unknown>;
  return handlers as unknown as Record<RouteName, RouteHandler>;
}
