import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE, SERVICE_NAME } from './service-identity.js';

/**
 * The service's Powertools instances, created once per execution environment and shared by every
 * handler. Log level comes from `POWERTOOLS_LOG_LEVEL`; metrics are not printed when
 * `POWERTOOLS_METRICS_DISABLED=true` or `POWERTOOLS_DEV=true` (local runtime, tests); the tracer
 * is a no-op outside Lambda.
 */
export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
