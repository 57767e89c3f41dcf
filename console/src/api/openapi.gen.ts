// Generated from the service OpenAPI document (functions/api/openapi.ts) by console/build.ts.
// Do not edit: `npm run console:api` regenerates it.
// openapi-sha256: 9d68e4da9453b1a2d1bf5d4124aa74f9cee2f3fb63dfc41ef3d8f8fc2bf22ca3

export interface paths {
    "/user/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export a user's data (inline when small, else a queued job)
         * @description Access: self-or-admin. Counts against the per-user export window (429 with Retry-After when exhausted).
         */
        get: operations["exportUser"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/bulk": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Queue a bulk export of catalogue tables
         * @description Access: admin. Counts against the per-user export window (429 with Retry-After when exhausted).
         */
        post: operations["exportBulk"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's jobs (admins: all jobs), newest first
         * @description Access: any.
         */
        get: operations["listJobs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs/{jobId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Status, progress, timings, error and download link of a job
         * @description Access: owner-or-admin.
         */
        get: operations["getJob"];
        put?: never;
        post?: never;
        /**
         * Cancel a queued job, or ask a running one to stop
         * @description Access: owner-or-admin.
         */
        delete: operations["cancelJob"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs/{jobId}/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A completed job's files with their download links, and its manifest's
         * @description Access: owner-or-admin.
         */
        get: operations["listJobFiles"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs/{jobId}/download": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Redirect to a freshly presigned URL of a completed job's file (or one of its files)
         * @description Access: owner-or-admin.
         */
        get: operations["downloadJob"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The scheduled export catalogue with next run times
         * @description Access: admin.
         */
        get: operations["listSchedules"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/schedules/{name}/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run a scheduled export now or backfill a date
         * @description Access: admin. Counts against the per-user export window (429 with Retry-After when exhausted).
         */
        post: operations["runSchedule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Job totals, outcomes, durations, rows and bytes, by kind and format
         * @description Access: admin.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/limits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's remaining export requests and when the window resets
         * @description Access: any.
         */
        get: operations["getLimits"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/catalogue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The export catalogue: the tables and columns exports may contain, and each date column
         * @description Access: any.
         */
        get: operations["getCatalogue"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This OpenAPI 3.1 document
         * @description Access: public.
         */
        get: operations["getOpenApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The registered webhooks (no secrets)
         * @description Access: admin.
         */
        get: operations["listWebhooks"];
        put?: never;
        /**
         * Register a webhook endpoint; its signing secret is shown once
         * @description Access: admin.
         */
        post: operations["registerWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhooks/{webhookId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a webhook and its delivery log
         * @description Access: admin.
         */
        delete: operations["deleteWebhook"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhooks/{webhookId}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A webhook's delivery log: each delivery's status, attempts and responses
         * @description Access: admin.
         */
        get: operations["listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhooks/{webhookId}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a signed `webhook.test` event to this endpoint
         * @description Access: admin.
         */
        post: operations["testWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Error: {
            error: {
                code: string;
                message: string;
                details?: unknown;
            };
        };
    };
    responses: {
        /** @description invalid input; `details` lists each field at fault */
        Error400: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description missing, malformed or expired bearer token (or link token) */
        Error401: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description authenticated but not allowed (audited) */
        Error403: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description no such resource */
        Error404: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description conflicts with the resource state (or the idempotency key was used with another body) */
        Error409: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description request body larger than the limit */
        Error413: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description per-user export window exhausted; see Retry-After */
        Error429: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description a dependency is unavailable; retry after Retry-After */
        Error503: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description unexpected error (`internal_error`); details are in the service log */
        Error500: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    exportUser: {
        parameters: {
            query?: {
                format?: "json" | "ndjson" | "csv" | "xml";
                /** @description CSV only: prefix formula-like cells with `'` (default true) */
                formulaGuard?: "true" | "false";
            };
            header?: {
                /** @description `respond-async` always answers 202 with a job */
                Prefer?: string;
            };
            path: {
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the export: JSON `{profile, transactions, courses, activity, exportedAt}`, one XML document, or a zip of one CSV/NDJSON file per section */
            200: {
                headers: {
                    /** @description attachment; filename="user-<id>-export.<ext>" */
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        profile: {
                            [key: string]: unknown;
                        } | null;
                        transactions: {
                            [key: string]: unknown;
                        }[];
                        courses: {
                            [key: string]: unknown;
                        }[];
                        activity: {
                            [key: string]: unknown;
                        }[];
                        exportedAt: string;
                    };
                    "application/xml": string;
                    "application/zip": string;
                };
            };
            /** @description the export job was queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        jobId: string;
                        /** @enum {string} */
                        status: "queued" | "processing" | "completed" | "failed" | "cancelled";
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            404: components["responses"]["Error404"];
            429: components["responses"]["Error429"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    exportBulk: {
        parameters: {
            query?: never;
            header?: {
                /** @description the same key and body return the same job; the same key with another body is a 409 */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    tables: string[];
                    filters?: {
                        [key: string]: {
                            dateFrom?: string;
                            dateTo?: string;
                        };
                    };
                    columns?: {
                        [key: string]: string[];
                    };
                    /**
                     * @description parquet: one Parquet file per table, typed from the catalogue
                     * @enum {string}
                     */
                    format: "json" | "ndjson" | "csv" | "xml" | "parquet";
                    /**
                     * @description gzip the file (not for parquet, which compresses inside the file)
                     * @default none
                     * @enum {string}
                     */
                    compression?: "none" | "gzip";
                    csv?: {
                        formulaGuard?: boolean;
                    };
                    /**
                     * @description for a job split into chunks: chunked (every row existing when planned, exactly once; any size) or snapshot (all files one instant; must finish within one worker invocation)
                     * @default chunked
                     * @enum {string}
                     */
                    consistency?: "chunked" | "snapshot";
                };
            };
        };
        responses: {
            /** @description the export job was queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        jobId: string;
                        /** @enum {string} */
                        status: "queued" | "processing" | "completed" | "failed" | "cancelled";
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            409: components["responses"]["Error409"];
            413: components["responses"]["Error413"];
            429: components["responses"]["Error429"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    listJobs: {
        parameters: {
            query?: {
                status?: "queued" | "processing" | "completed" | "failed" | "cancelled";
                /** @description page size, 1–100 (default 20) */
                limit?: string;
                /** @description `nextCursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description one page of jobs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        jobs: {
                            /** Format: uuid */
                            jobId: string;
                            /** @enum {string} */
                            kind: "user" | "bulk" | "scheduled";
                            /** @enum {string} */
                            status: "queued" | "processing" | "completed" | "failed" | "cancelled";
                            format: string;
                            compression: string;
                            tables: string[];
                            /** @description the owner; null for the scheduler's own runs (admins only) */
                            requestedBy: string | null;
                            cancelRequested: boolean;
                            progress: {
                                rowsExported: number;
                                bytesWritten: number;
                                tablesDone: number;
                                tablesTotal: number;
                                percent: number;
                                rowsTotal?: number;
                                etaSeconds?: number;
                                /** @description chunks finished, for a job split into chunks */
                                chunksDone?: number;
                                /** @description chunks planned, for a job split into chunks */
                                chunksTotal?: number;
                            };
                            createdAt: string;
                            startedAt: string | null;
                            completedAt: string | null;
                            updatedAt: string;
                            durationMs: number | null;
                            error: {
                                code: string;
                                message: string;
                                retryable: boolean;
                            } | null;
                            result: {
                                fileName: string;
                                contentType: string;
                                bytes: number;
                                sha256: string;
                                rows: number;
                                tables: {
                                    name: string;
                                    rows: number;
                                }[];
                                /** @description files of a job split into chunks (`GET /jobs/{jobId}/files` lists them); `fileName` is then its manifest */
                                fileCount?: number;
                            } | null;
                            downloadUrl?: string;
                            scheduleName?: string;
                            scheduledFor?: string;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    getJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                jobId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the job */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        jobId: string;
                        /** @enum {string} */
                        kind: "user" | "bulk" | "scheduled";
                        /** @enum {string} */
                        status: "queued" | "processing" | "completed" | "failed" | "cancelled";
                        format: string;
                        compression: string;
                        tables: string[];
                        /** @description the owner; null for the scheduler's own runs (admins only) */
                        requestedBy: string | null;
                        cancelRequested: boolean;
                        progress: {
                            rowsExported: number;
                            bytesWritten: number;
                            tablesDone: number;
                            tablesTotal: number;
                            percent: number;
                            rowsTotal?: number;
                            etaSeconds?: number;
                            /** @description chunks finished, for a job split into chunks */
                            chunksDone?: number;
                            /** @description chunks planned, for a job split into chunks */
                            chunksTotal?: number;
                        };
                        createdAt: string;
                        startedAt: string | null;
                        completedAt: string | null;
                        updatedAt: string;
                        durationMs: number | null;
                        error: {
                            code: string;
                            message: string;
                            retryable: boolean;
                        } | null;
                        result: {
                            fileName: string;
                            contentType: string;
                            bytes: number;
                            sha256: string;
                            rows: number;
                            tables: {
                                name: string;
                                rows: number;
                            }[];
                            /** @description files of a job split into chunks (`GET /jobs/{jobId}/files` lists them); `fileName` is then its manifest */
                            fileCount?: number;
                        } | null;
                        downloadUrl?: string;
                        scheduleName?: string;
                        scheduledFor?: string;
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            404: components["responses"]["Error404"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    cancelJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                jobId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the queued job was cancelled */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        jobId: string;
                        /** @enum {string} */
                        kind: "user" | "bulk" | "scheduled";
                        /** @enum {string} */
                        status: "queued" | "processing" | "completed" | "failed" | "cancelled";
                        format: string;
                        compression: string;
                        tables: string[];
                        /** @description the owner; null for the scheduler's own runs (admins only) */
                        requestedBy: string | null;
                        cancelRequested: boolean;
                        progress: {
                            rowsExported: number;
                            bytesWritten: number;
                            tablesDone: number;
                            tablesTotal: number;
                            percent: number;
                            rowsTotal?: number;
                            etaSeconds?: number;
                            /** @description chunks finished, for a job split into chunks */
                            chunksDone?: number;
                            /** @description chunks planned, for a job split into chunks */
                            chunksTotal?: number;
                        };
                        createdAt: string;
                        startedAt: string | null;
                        completedAt: string | null;
                        updatedAt: string;
                        durationMs: number | null;
                        error: {
                            code: string;
                            message: string;
                            retryable: boolean;
                        } | null;
                        result: {
                            fileName: string;
                            contentType: string;
                            bytes: number;
                            sha256: string;
                            rows: number;
                            tables: {
                                name: string;
                                rows: number;
                            }[];
                            /** @description files of a job split into chunks (`GET /jobs/{jobId}/files` lists them); `fileName` is then its manifest */
                            fileCount?: number;
                        } | null;
                        downloadUrl?: string;
                        scheduleName?: string;
                        scheduledFor?: string;
                    };
                };
            };
            /** @description the running job will stop within seconds */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        jobId: string;
                        /** @enum {string} */
                        kind: "user" | "bulk" | "scheduled";
                        /** @enum {string} */
                        status: "queued" | "processing" | "completed" | "failed" | "cancelled";
                        format: string;
                        compression: string;
                        tables: string[];
                        /** @description the owner; null for the scheduler's own runs (admins only) */
                        requestedBy: string | null;
                        cancelRequested: boolean;
                        progress: {
                            rowsExported: number;
                            bytesWritten: number;
                            tablesDone: number;
                            tablesTotal: number;
                            percent: number;
                            rowsTotal?: number;
                            etaSeconds?: number;
                            /** @description chunks finished, for a job split into chunks */
                            chunksDone?: number;
                            /** @description chunks planned, for a job split into chunks */
                            chunksTotal?: number;
                        };
                        createdAt: string;
                        startedAt: string | null;
                        completedAt: string | null;
                        updatedAt: string;
                        durationMs: number | null;
                        error: {
                            code: string;
                            message: string;
                            retryable: boolean;
                        } | null;
                        result: {
                            fileName: string;
                            contentType: string;
                            bytes: number;
                            sha256: string;
                            rows: number;
                            tables: {
                                name: string;
                                rows: number;
                            }[];
                            /** @description files of a job split into chunks (`GET /jobs/{jobId}/files` lists them); `fileName` is then its manifest */
                            fileCount?: number;
                        } | null;
                        downloadUrl?: string;
                        scheduleName?: string;
                        scheduledFor?: string;
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            404: components["responses"]["Error404"];
            409: components["responses"]["Error409"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    listJobFiles: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                jobId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the files */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        jobId: string;
                        files: {
                            /** @description the key relative to the job's folder (`users/part-00001.csv.gz`) */
                            name: string;
                            /** @description null for one file holding several tables */
                            table: string | null;
                            rows: number;
                            bytes: number;
                            sha256: string;
                            contentType: string;
                            /** @description the download route with `file=`: a presigned URL is minted when it is followed */
                            downloadUrl: string;
                        }[];
                        /** @description the download route of a chunked job's manifest.json; null for a job of one file */
                        manifestUrl: string | null;
                        totals: {
                            files: number;
                            rows: number;
                            bytes: number;
                        };
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            404: components["responses"]["Error404"];
            409: components["responses"]["Error409"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    downloadJob: {
        parameters: {
            query?: {
                /** @description signed link token from the completion email */
                token?: string;
                /** @description one file of the job, by its `name` in `GET /jobs/{jobId}/files` (`manifest.json` for the manifest); default: the only file, or the manifest when there are several */
                file?: string;
            };
            header?: never;
            path: {
                jobId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description with `Accept: application/json`: the presigned URL as JSON (a browser script cannot read a cross-origin redirect) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description presigned URL of the file, valid for a few minutes */
                        url: string;
                        expiresAt: string;
                    };
                };
            };
            /** @description Location: a presigned URL valid for a few minutes */
            302: {
                headers: {
                    Location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            404: components["responses"]["Error404"];
            409: components["responses"]["Error409"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    listSchedules: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the catalogue */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        schedules: {
                            name: string;
                            description: string;
                            cron: string;
                            eventBridgeExpression: string;
                            format: string;
                            compression: string;
                            destination: string;
                            lookbackDays: number;
                            nextRuns: string[];
                        }[];
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    runSchedule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    /** @description UTC run date to run or backfill; default today */
                    date?: string;
                    /** @description rerun a date whose run already completed, replacing its object */
                    force?: boolean;
                };
            };
        };
        responses: {
            /** @description the export job was queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        jobId: string;
                        /** @enum {string} */
                        status: "queued" | "processing" | "completed" | "failed" | "cancelled";
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            404: components["responses"]["Error404"];
            409: components["responses"]["Error409"];
            413: components["responses"]["Error413"];
            429: components["responses"]["Error429"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    getMetrics: {
        parameters: {
            query?: {
                /** @description ISO 8601 date or date-time; default: 24 hours ago */
                since?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the metrics */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        total: number;
                        succeeded: number;
                        failed: number;
                        cancelled: number;
                        queued: number;
                        processing: number;
                        durationMs: {
                            avg: number | null;
                            p50: number | null;
                            p95: number | null;
                        };
                        rows: number;
                        bytes: number;
                        since: string;
                        byKind: {
                            [key: string]: {
                                total: number;
                                succeeded: number;
                                failed: number;
                                cancelled: number;
                                queued: number;
                                processing: number;
                                durationMs: {
                                    avg: number | null;
                                    p50: number | null;
                                    p95: number | null;
                                };
                                rows: number;
                                bytes: number;
                            };
                        };
                        byFormat: {
                            [key: string]: {
                                total: number;
                                succeeded: number;
                                failed: number;
                                cancelled: number;
                                queued: number;
                                processing: number;
                                durationMs: {
                                    avg: number | null;
                                    p50: number | null;
                                    p95: number | null;
                                };
                                rows: number;
                                bytes: number;
                            };
                        };
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    getLimits: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the window */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        limit: number;
                        remaining: number;
                        windowSeconds: number;
                        resetAt: string;
                        nextAvailableAt: string;
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    getCatalogue: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the catalogue */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        tables: {
                            name: string;
                            /** @description the column `filters.<table>.dateFrom` and `dateTo` apply to */
                            dateColumn: string;
                            columns: {
                                name: string;
                                type: string;
                            }[];
                        }[];
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    getOpenApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["Error400"];
            500: components["responses"]["Error500"];
        };
    };
    listWebhooks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the webhooks, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        webhooks: {
                            /** Format: uuid */
                            id: string;
                            url: string;
                            events: ("export.completed" | "export.failed" | "export.cancelled")[];
                            description: string | null;
                            /** @enum {string} */
                            status: "active" | "disabled";
                            disabledReason: string | null;
                            createdBy: string;
                            createdAt: string;
                        }[];
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    registerWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description https URL of the endpoint */
                    url: string;
                    /** @description default: every type */
                    events?: ("export.completed" | "export.failed" | "export.cancelled")[];
                    description?: string;
                };
            };
        };
        responses: {
            /** @description the webhook and its `whsec_…` secret */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        id: string;
                        url: string;
                        events: ("export.completed" | "export.failed" | "export.cancelled")[];
                        description: string | null;
                        /** @enum {string} */
                        status: "active" | "disabled";
                        disabledReason: string | null;
                        createdBy: string;
                        createdAt: string;
                        /** @description the `whsec_…` signing secret: shown this once, store it now */
                        secret: string;
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            413: components["responses"]["Error413"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    deleteWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            404: components["responses"]["Error404"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    listWebhookDeliveries: {
        parameters: {
            query?: {
                /** @description newest deliveries, 1–100 (default 20) */
                limit?: string;
            };
            header?: never;
            path: {
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the newest deliveries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        deliveries: {
                            /** Format: uuid */
                            id: string;
                            eventId: string;
                            eventType: string;
                            /** @enum {string} */
                            status: "pending" | "retrying" | "delivered" | "failed" | "gone" | "dropped";
                            attempts: number;
                            lastStatusCode: number | null;
                            lastError: string | null;
                            nextAttemptAt: string | null;
                            createdAt: string;
                            deliveredAt: string | null;
                            attemptLog: {
                                attempt: number;
                                statusCode: number | null;
                                error: string | null;
                                durationMs: number;
                                attemptedAt: string;
                            }[];
                        }[];
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            404: components["responses"]["Error404"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
    testWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the test delivery was queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        deliveryId: string;
                        eventId: string;
                    };
                };
            };
            400: components["responses"]["Error400"];
            401: components["responses"]["Error401"];
            403: components["responses"]["Error403"];
            404: components["responses"]["Error404"];
            500: components["responses"]["Error500"];
            503: components["responses"]["Error503"];
        };
    };
}
type FlattenedDeepRequired<T> = {
    [K in keyof T]-?: FlattenedDeepRequired<T[K] extends unknown[] | undefined | null ? Extract<T[K], unknown[]>[number] : T[K]>;
};
type ReadonlyArray<T> = [
    Exclude<T, undefined>
] extends [
    unknown[]
] ? Readonly<Exclude<T, undefined>> : Readonly<Exclude<T, undefined>[]>;
export const pathsUserUserIdGetParametersQueryFormatValues: ReadonlyArray<FlattenedDeepRequired<paths>["/user/{userId}"]["get"]["parameters"]["query"]["format"]> = ["json", "ndjson", "csv", "xml"];
export const pathsUserUserIdGetParametersQueryFormulaGuardValues: ReadonlyArray<FlattenedDeepRequired<paths>["/user/{userId}"]["get"]["parameters"]["query"]["formulaGuard"]> = ["true", "false"];
export const pathsUserUserIdGetResponses202ContentApplicationJsonStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/user/{userId}"]["get"]["responses"]["202"]["content"]["application/json"]["status"]> = ["queued", "processing", "completed", "failed", "cancelled"];
export const pathsBulkPostRequestBodyContentApplicationJsonFormatValues: ReadonlyArray<FlattenedDeepRequired<paths>["/bulk"]["post"]["requestBody"]["content"]["application/json"]["format"]> = ["json", "ndjson", "csv", "xml", "parquet"];
export const pathsBulkPostRequestBodyContentApplicationJsonCompressionValues: ReadonlyArray<FlattenedDeepRequired<paths>["/bulk"]["post"]["requestBody"]["content"]["application/json"]["compression"]> = ["none", "gzip"];
export const pathsBulkPostRequestBodyContentApplicationJsonConsistencyValues: ReadonlyArray<FlattenedDeepRequired<paths>["/bulk"]["post"]["requestBody"]["content"]["application/json"]["consistency"]> = ["chunked", "snapshot"];
export const pathsBulkPostResponses202ContentApplicationJsonStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/bulk"]["post"]["responses"]["202"]["content"]["application/json"]["status"]> = ["queued", "processing", "completed", "failed", "cancelled"];
export const pathsJobsGetParametersQueryStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/jobs"]["get"]["parameters"]["query"]["status"]> = ["queued", "processing", "completed", "failed", "cancelled"];
export const pathsJobsGetResponses200ContentApplicationJsonJobsKindValues: ReadonlyArray<FlattenedDeepRequired<paths>["/jobs"]["get"]["responses"]["200"]["content"]["application/json"]["jobs"]["kind"]> = ["user", "bulk", "scheduled"];
export const pathsJobsGetResponses200ContentApplicationJsonJobsStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/jobs"]["get"]["responses"]["200"]["content"]["application/json"]["jobs"]["status"]> = ["queued", "processing", "completed", "failed", "cancelled"];
export const pathsJobsJobIdGetResponses200ContentApplicationJsonKindValues: ReadonlyArray<FlattenedDeepRequired<paths>["/jobs/{jobId}"]["get"]["responses"]["200"]["content"]["application/json"]["kind"]> = ["user", "bulk", "scheduled"];
export const pathsJobsJobIdGetResponses200ContentApplicationJsonStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/jobs/{jobId}"]["get"]["responses"]["200"]["content"]["application/json"]["status"]> = ["queued", "processing", "completed", "failed", "cancelled"];
export const pathsJobsJobIdDeleteResponses200ContentApplicationJsonKindValues: ReadonlyArray<FlattenedDeepRequired<paths>["/jobs/{jobId}"]["delete"]["responses"]["200"]["content"]["application/json"]["kind"]> = ["user", "bulk", "scheduled"];
export const pathsJobsJobIdDeleteResponses200ContentApplicationJsonStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/jobs/{jobId}"]["delete"]["responses"]["200"]["content"]["application/json"]["status"]> = ["queued", "processing", "completed", "failed", "cancelled"];
export const pathsJobsJobIdDeleteResponses202ContentApplicationJsonKindValues: ReadonlyArray<FlattenedDeepRequired<paths>["/jobs/{jobId}"]["delete"]["responses"]["202"]["content"]["application/json"]["kind"]> = ["user", "bulk", "scheduled"];
export const pathsJobsJobIdDeleteResponses202ContentApplicationJsonStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/jobs/{jobId}"]["delete"]["responses"]["202"]["content"]["application/json"]["status"]> = ["queued", "processing", "completed", "failed", "cancelled"];
export const pathsSchedulesNameRunPostResponses202ContentApplicationJsonStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/schedules/{name}/run"]["post"]["responses"]["202"]["content"]["application/json"]["status"]> = ["queued", "processing", "completed", "failed", "cancelled"];
export const pathsWebhooksGetResponses200ContentApplicationJsonWebhooksEventsValues: ReadonlyArray<FlattenedDeepRequired<paths>["/webhooks"]["get"]["responses"]["200"]["content"]["application/json"]["webhooks"]["events"]> = ["export.completed", "export.failed", "export.cancelled"];
export const pathsWebhooksGetResponses200ContentApplicationJsonWebhooksStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/webhooks"]["get"]["responses"]["200"]["content"]["application/json"]["webhooks"]["status"]> = ["active", "disabled"];
export const pathsWebhooksPostRequestBodyContentApplicationJsonEventsValues: ReadonlyArray<FlattenedDeepRequired<paths>["/webhooks"]["post"]["requestBody"]["content"]["application/json"]["events"]> = ["export.completed", "export.failed", "export.cancelled"];
export const pathsWebhooksPostResponses201ContentApplicationJsonEventsValues: ReadonlyArray<FlattenedDeepRequired<paths>["/webhooks"]["post"]["responses"]["201"]["content"]["application/json"]["events"]> = ["export.completed", "export.failed", "export.cancelled"];
export const pathsWebhooksPostResponses201ContentApplicationJsonStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/webhooks"]["post"]["responses"]["201"]["content"]["application/json"]["status"]> = ["active", "disabled"];
export const pathsWebhooksWebhookIdDeliveriesGetResponses200ContentApplicationJsonDeliveriesStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/webhooks/{webhookId}/deliveries"]["get"]["responses"]["200"]["content"]["application/json"]["deliveries"]["status"]> = ["pending", "retrying", "delivered", "failed", "gone", "dropped"];

/** Base path of every route, the document's `servers[0].url`. */
export const API_BASE_PATH = "/api/export";
