/** Powertools service name: the `service` key of log lines and the `service` metric dimension. */
export const SERVICE_NAME = 'data-export';

/** CloudWatch namespace of the service's EMF metrics (read by the stack's alarms and dashboard). */
export const METRICS_NAMESPACE = 'DataExport';
