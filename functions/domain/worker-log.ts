/** Structured log lines; Powertools Logger fits it. Never give it tokens, links or URLs with credentials. */
export interface WorkerLog {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** A log that writes nothing (the default when a caller gives none). */
export const SILENT_LOG: WorkerLog = { info() {}, warn() {}, error() {} };
