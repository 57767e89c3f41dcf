import { createHash, randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { JSONValue, Sql } from 'postgres';
import type { JobFile, JobResult } from '../../functions/domain/jobs/export-job.js';
import { bulkSpec } from './job-specs.js';

/** One part of a chunked job, by its name relative to the job's folder (`users/part-00001.csv`). */
export interface PartSpec {
  readonly name: string;
  readonly table: string;
  readonly body: string | Buffer;
  readonly keyRange?: JobFile['keyRange'];
}

/** A completed chunked job's result and the objects it names, keyed by object key. */
export interface ChunkedJobFixture {
  readonly result: JobResult;
  readonly manifest: Buffer;
  readonly objects: ReadonlyMap<string, Buffer>;
}

const md5 = (body: Buffer) => createHash('md5').update(body).digest('hex');
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
const CONTENT_TYPE = 'text/csv; charset=utf-8';

/**
 * What the chunk engine leaves behind for a CSV job of `parts` (docs/chunked-exports.md): the parts under
 * `exports/{jobId}/`, a `manifest.json` naming them, and the result a completed job records: the
 * manifest's key, name and entity tag, the parts' totals, and `files`. The engine is not needed to
 * test the delivery side: this writes exactly the contract it reads. Rows are counted as the body's
 * lines after the header. Entity tags are the MD5 of single-PUT objects, as S3 gives them.
 */
export function chunkedJobFixture(jobId: string, parts: readonly PartSpec[]): ChunkedJobFixture {
  const objects = new Map<string, Buffer>();
  const files: JobFile[] = parts.map((part) => {
    const body = Buffer.from(part.body);
    const key = `exports/${jobId}/${part.name}`;
    objects.set(key, body);
    return {
      name: part.name,
      key,
      table: part.table,
      rows: Math.max(0, body.toString('utf8').split('\n').filter(Boolean).length - 1),
      bytes: body.length,
      sha256: sha256(body),
      contentType: CONTENT_TYPE,
      etag: md5(body),
      ...(part.keyRange && { keyRange: part.keyRange }),
    };
  });
  const totals = {
    rows: files.reduce((sum, f) => sum + f.rows, 0),
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
  };
  const exportedAt = '2024-05-01T10:00:00.000Z';
  const manifest = Buffer.from(
    `${JSON.stringify(
      {
        jobId,
        format: 'csv',
        compression: 'none',
        asOf: exportedAt,
        consistency: 'chunked',
        files: files.map(({ name, key, table, rows, bytes, sha256, keyRange }) => ({
          name,
          key,
          table,
          rows,
          bytes,
          sha256,
          keyRange,
        })),
        totals,
      },
      null,
      2,
    )}\n`,
  );
  const manifestKey = `exports/${jobId}/manifest.json`;
  objects.set(manifestKey, manifest);
  const tables = [...new Set(files.map((f) => f.table))].map((name) => ({
    name,
    rows: files.filter((f) => f.table === name).reduce((sum, f) => sum + f.rows, 0),
  }));
  return {
    manifest,
    objects,
    result: {
      objectKey: manifestKey,
      fileName: 'manifest.json',
      contentType: 'application/json',
      bytes: totals.bytes,
      sha256: sha256(manifest),
      etag: md5(manifest),
      rows: totals.rows,
      tables,
      exportedAt,
      files,
    },
  };
}

/** Where a chunked job is stored: the service's database (as its owner) and its export bucket. */
export interface ChunkedJobTarget {
  readonly sql: Sql;
  readonly s3: S3Client;
  readonly bucket: string;
}

/**
 * Stores a completed chunked bulk job of `requestedBy` as the engine would leave it: its parts and
 * manifest in the bucket, then its row. Returns the job's id and the fixture it wrote.
 */
export async function insertChunkedJob(
  target: ChunkedJobTarget,
  requestedBy: string | null,
  parts: readonly PartSpec[],
): Promise<ChunkedJobFixture & { readonly jobId: string }> {
  const jobId = randomUUID();
  const fixture = chunkedJobFixture(jobId, parts);
  for (const [key, body] of fixture.objects) {
    await target.s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: body,
        ContentType: key.endsWith('.json') ? 'application/json' : CONTENT_TYPE,
      }),
    );
  }
  const tables = fixture.result.tables.map((t) => t.name);
  const { rows, bytes } = fixture.result;
  const progress = {
    rowsExported: rows,
    bytesWritten: bytes,
    tablesDone: tables.length,
    tablesTotal: tables.length,
    percent: 100,
    chunksDone: parts.length,
    chunksTotal: parts.length,
  };
  await target.sql`
    INSERT INTO export_jobs (id, kind, spec, tables, format, requested_by, status, created_at, started_at,
                             completed_at, rows_exported, bytes_written, progress, result)
    VALUES (${jobId}, 'bulk', ${target.sql.json(bulkSpec({ tables }) as never)}, ${target.sql.json(tables)}, 'csv', ${requestedBy}, 'completed',
            now() - interval '70 seconds', now() - interval '1 minute', now(), ${rows}, ${bytes},
            ${target.sql.json(progress)},
            ${target.sql.json(fixture.result as unknown as JSONValue)})`;
  return { ...fixture, jobId };
}
