import {
  type paths,
  pathsBulkPostRequestBodyContentApplicationJsonCompressionValues,
  pathsBulkPostRequestBodyContentApplicationJsonFormatValues,
  pathsJobsGetParametersQueryStatusValues,
  pathsJobsGetResponses200ContentApplicationJsonJobsKindValues,
  pathsUserUserIdGetParametersQueryFormatValues,
  pathsWebhooksPostRequestBodyContentApplicationJsonEventsValues,
} from './openapi.gen';

/**
 * Friendly names for the generated API types and enum values. Everything here comes from the
 * OpenAPI document: a format added to the API appears in the pickers after `npm run console:api`.
 */

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type JobView = Json<paths['/jobs/{jobId}']['get']['responses'][200]>;
export type JobList = Json<paths['/jobs']['get']['responses'][200]>;
export type JobFiles = Json<paths['/jobs/{jobId}/files']['get']['responses'][200]>;
export type JobFile = JobFiles['files'][number];
export type JobStatus = JobView['status'];
export type JobKind = JobView['kind'];
export type Limits = Json<paths['/limits']['get']['responses'][200]>;
export type Metrics = Json<paths['/metrics']['get']['responses'][200]>;
export type MetricsBucket = Metrics['byKind'][string];
export type Schedule = Json<paths['/schedules']['get']['responses'][200]>['schedules'][number];
export type Catalogue = Json<paths['/catalogue']['get']['responses'][200]>;
export type CatalogueTable = Catalogue['tables'][number];
export type BulkRequest = NonNullable<paths['/bulk']['post']['requestBody']>['content']['application/json'];
export type BulkFormat = BulkRequest['format'];
export type Compression = NonNullable<BulkRequest['compression']>;
export type UserFormat = NonNullable<
  NonNullable<paths['/user/{userId}']['get']['parameters']['query']>['format']
>;

export type Webhook = Json<paths['/webhooks']['get']['responses'][200]>['webhooks'][number];
export type WebhookCreated = Json<paths['/webhooks']['post']['responses'][201]>;
export type WebhookEventType = Webhook['events'][number];
export type WebhookDelivery = Json<
  paths['/webhooks/{webhookId}/deliveries']['get']['responses'][200]
>['deliveries'][number];

/** Event types a webhook may subscribe to. */
export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] =
  pathsWebhooksPostRequestBodyContentApplicationJsonEventsValues;

/** Formats `POST /bulk` accepts. */
export const BULK_FORMATS: readonly BulkFormat[] = pathsBulkPostRequestBodyContentApplicationJsonFormatValues;
/** Compressions `POST /bulk` accepts. */
export const COMPRESSIONS: readonly Compression[] =
  pathsBulkPostRequestBodyContentApplicationJsonCompressionValues;
/** Formats of a user's own export (`GET /user/{userId}?format=`). */
export const USER_FORMATS: readonly UserFormat[] = pathsUserUserIdGetParametersQueryFormatValues;
/** Job statuses, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = pathsJobsGetParametersQueryStatusValues;
/** Job kinds. */
export const JOB_KINDS: readonly JobKind[] = pathsJobsGetResponses200ContentApplicationJsonJobsKindValues;

/** Statuses a job leaves by itself: worth polling. */
export const ACTIVE_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['queued', 'processing']);

/** One field problem of a 400 (`details` of the API's error shape). */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}
