import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyServiceRoles } from '../../../../db/service-roles.js';
import { PostgresExportDatabase } from '../../../../functions/adapters/postgres/postgres-export-database.js';
import { S3MultipartUploads } from '../../../../functions/adapters/s3/s3-multipart-uploads.js';
import { CATALOGUE } from '../../../../functions/domain/catalogue/catalogue.js';
import type { MultipartUploads } from '../../../../functions/domain/engine/multipart-uploads.js';
import type { ExportDatabase } from '../../../../functions/domain/engine/ports.js';
import { LeaseLostError } from '../../../../functions/domain/errors.js';
import { type ChunkWriteSpec, writeChunk } from '../../../../functions/domain/worker/chunks/chunk-writer.js';
import type { ChunkCheckpoint } from '../../../../functions/domain/worker/chunks/export-chunks.js';
import { createProductSchema, seedDemoData } from '../../../../local/demo-data.js';
import { readObject, serviceSql, testS3, testSql } from '../../../support/services.js';

/**
 * The chunk writer on its own, against the real Postgres and S3 adapters: it reads the next part
 * while the previous one uploads, and every checkpoint it saves describes exactly the file up to
 * its part, whatever was read after it.
 */

/** Enough activity_logs rows for a CSV file of several 5 MiB parts. */
const ACTIVITY_ROWS = 120_000;
/** Small slices, so a part is many COPYs and reading visibly goes on while a part uploads. */
const SLICE_ROWS = 2_000;

const bucket = inject('bucket');
const s3 = testS3();
let admin: Sql;
let productSql: Sql;
let workerSql: Sql;
let dbName: string;
let productUrl: string;
let maxKey: string;
let database: PostgresExportDatabase;
let s3Uploads: S3MultipartUploads;

beforeAll(async () => {
  admin = testSql({ max: 1 });
  dbName = `chunk_writer_it_${process.pid}`;
  await admin.unsafe(`CREATE DATABASE ${dbName}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${dbName}`;
  productUrl = url.toString();
  productSql = postgres(productUrl, { max: 2, onnotice: () => {} });
  await createProductSchema(productSql);
  await seedDemoData(productSql, { users: 2_000, activity: ACTIVITY_ROWS });
  await applyServiceRoles(productSql);
  [{ max: maxKey }] = (await productSql`SELECT max(id)::text AS max FROM activity_logs`) as unknown as [
    { max: string },
  ];
  workerSql = serviceSql('worker', { database: dbName, max: 1 });
  database = new PostgresExportDatabase(workerSql);
  s3Uploads = new S3MultipartUploads({ client: s3, bucket });
}, 300_000);

afterAll(async () => {
  await Promise.all([productSql?.end(), workerSql?.end()]);
  await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  s3.destroy();
});

function csvSpec(): ChunkWriteSpec {
  return {
    key: `chunk-writer-it/${randomUUID()}/activity_logs/part-00001.csv`,
    object: { contentType: 'text/csv; charset=utf-8' },
    table: CATALOGUE.activity_logs!,
    range: { from: null, to: maxKey },
    rowsEstimate: ACTIVITY_ROWS,
    format: 'csv',
    compression: 'none',
    formulaGuard: false,
    exportedAt: '2024-05-01T10:00:00.000Z',
    sliceRows: SLICE_ROWS,
  };
}

/** `psql \copy (…) TO STDOUT WITH CSV HEADER`: the independent oracle. */
function csvOracle(): Buffer {
  const columns = CATALOGUE.activity_logs!.columns.map((c) => `"${c.name}"`).join(', ');
  return execFileSync(
    'psql',
    [
      productUrl,
      '-X',
      '-q',
      '-c',
      `\\copy (SELECT ${columns} FROM activity_logs ORDER BY id) TO STDOUT WITH CSV HEADER`,
    ],
    { env: { ...process.env, PGTZ: 'UTC', PGDATESTYLE: 'ISO, MDY' }, maxBuffer: 256 * 1024 * 1024 },
  );
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function openUploads(key: string): Promise<number> {
  const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  return listed.Uploads?.length ?? 0;
}

/**
 * The real database and S3 adapters, watched: each part's upload is stored in S3 first; then the
 * upload of a part in `afterRead` resolves only once the writer has begun another COPY since it
 * handed that part over, and one in `untilRelease` only on `release()` (which frees every part).
 * A writer that waits for each upload before reading on never gets an `afterRead` part stored
 * until `release()`.
 */
function watched(hold: {
  readonly afterRead?: readonly number[];
  readonly untilRelease?: readonly number[];
}) {
  let reads = 0;
  let inFlight = 0;
  const readsAtStart = new Map<number, number>();
  const probe = {
    uploadId: '',
    /** Parts during whose upload the writer began another COPY. */
    overlapped: new Set<number>(),
    maxInFlight: 0,
    /** Part numbers in the order their uploads began. */
    started: [] as number[],
    /** True once the writer has begun a COPY after handing part `n` over. */
    readingPast: (n: number) => readsAtStart.has(n) && reads > readsAtStart.get(n)!,
    release: () => {},
  };
  let released = false;
  const waiting = new Set<() => void>();
  const wake = () => {
    for (const resolve of waiting) resolve();
    waiting.clear();
  };
  probe.release = () => {
    released = true;
    wake();
  };
  const until = async (condition: () => boolean) => {
    while (!condition() && !released) await new Promise<void>((resolve) => waiting.add(resolve));
  };
  const db: ExportDatabase = {
    withSnapshot: (work) =>
      database.withSnapshot((snapshot) =>
        work(
          Object.assign(Object.create(snapshot), {
            copyOut: (statement: string, params: Readonly<Record<string, string>>) => {
              reads++;
              wake();
              return snapshot.copyOut(statement, params);
            },
          }),
        ),
      ),
  };
  const uploads: MultipartUploads = {
    create: async (...args) => {
      probe.uploadId = await s3Uploads.create(...args);
      return probe.uploadId;
    },
    uploadPart: async (key, uploadId, partNumber, body) => {
      probe.started.push(partNumber);
      probe.maxInFlight = Math.max(probe.maxInFlight, ++inFlight);
      readsAtStart.set(partNumber, reads);
      try {
        const part = await s3Uploads.uploadPart(key, uploadId, partNumber, body);
        if (hold.afterRead?.includes(partNumber)) await until(() => probe.readingPast(partNumber));
        if (hold.untilRelease?.includes(partNumber)) await until(() => false);
        if (probe.readingPast(partNumber)) probe.overlapped.add(partNumber);
        return part;
      } finally {
        inFlight--;
      }
    },
    complete: (...args) => s3Uploads.complete(...args),
    abort: (...args) => s3Uploads.abort(...args),
    read: (...args) => s3Uploads.read(...args),
  };
  return { probe, db, uploads };
}

describe('writeChunk on Postgres and S3', () => {
  it('reads the next part while the previous one uploads, one upload at a time, into a file equal to psql \\copy', async () => {
    // Arrange: parts 1 and 2 are stored only once reading has gone on past them
    const spec = csvSpec();
    const { probe, db, uploads } = watched({ afterRead: [1, 2] });
    const checkpoints: ChunkCheckpoint[] = [];

    // Act
    const writing = writeChunk({ database: db, uploads }, spec, null, {
      onCheckpoint: async (c) => void checkpoints.push(c),
    });
    try {
      await expect.poll(() => probe.overlapped.has(1), { timeout: 30_000, interval: 50 }).toBe(true);
    } finally {
      probe.release();
    }
    const outcome = await writing;

    // Assert
    expect(outcome.status).toBe('done');
    if (outcome.status !== 'done') return;
    const file = await readObject(s3, spec.key);
    expect(file.equals(csvOracle())).toBe(true);
    expect(outcome.sha256).toBe(sha256(file));
    expect(outcome).toMatchObject({ rows: ACTIVITY_ROWS, bytes: file.length });
    expect([...probe.overlapped]).toEqual(expect.arrayContaining([1, 2]));
    expect(probe.maxInFlight).toBe(1);
    expect(probe.started).toEqual(probe.started.map((_, i) => i + 1));
    expect(probe.started.length).toBeGreaterThanOrEqual(4);
    // Saved in part order, each naming every part up to its own.
    expect(checkpoints.map((c) => c.parts.length)).toEqual(checkpoints.map((_, i) => i));
  });

  it('pauses at a part sealed while the previous one uploaded, and its continuation writes a byte-identical file', async () => {
    // Arrange: part 1 uploads while part 2 is read. Asked when part 1 is sealed and once it is
    // stored (at the next slice's end), the writer goes on; asked when part 2 is sealed, it pauses.
    const spec = csvSpec();
    const { probe, db, uploads } = watched({ afterRead: [1] });
    const saved: ChunkCheckpoint[] = [];
    let asked = 0;

    // Act
    const pausing = writeChunk({ database: db, uploads }, spec, null, {
      shouldPause: () => ++asked === 3,
      onCheckpoint: async (c) => void saved.push(c),
    });
    try {
      await expect.poll(() => probe.overlapped.has(1), { timeout: 30_000, interval: 50 }).toBe(true);
    } finally {
      probe.release();
    }
    const first = await pausing;
    expect(first.status).toBe('paused');
    if (first.status !== 'paused') return;
    const second = await writeChunk({ database, uploads: s3Uploads }, spec, first.checkpoint, {
      onCheckpoint: async () => {},
    });

    // Assert: the pause stopped right after part 2, stored and checkpointed
    expect(probe.started).toEqual([1, 2]);
    expect(saved.at(-1)).toEqual(first.checkpoint);
    const { parts, lastKey, rows } = first.checkpoint;
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2]);
    const [{ n }] = (await productSql`
      SELECT count(*)::int AS n FROM activity_logs WHERE id <= ${lastKey}::bigint`) as unknown as [
      { n: number },
    ];
    expect(rows).toBe(n);
    expect(second.status).toBe('done');
    if (second.status !== 'done') return;
    const file = await readObject(s3, spec.key);
    expect(file.equals(csvOracle())).toBe(true);
    expect(second.sha256).toBe(sha256(file));
    expect(second.bytes).toBe(file.length);
  });

  it('pauses as soon as the part uploaded meanwhile is stored, dropping what was read since, and its continuation writes a byte-identical file', async () => {
    // Arrange: part 1 uploads while part 2 is read; asked when part 1 is sealed, the writer goes
    // on, and asked once it is stored (at the next slice's end), it pauses
    const spec = csvSpec();
    const { probe, db, uploads } = watched({ afterRead: [1] });
    let rowsRead = 0;
    let asked = 0;

    // Act
    const pausing = writeChunk({ database: db, uploads }, spec, null, {
      shouldPause: () => ++asked === 2,
      onProgress: ({ rows }) => {
        rowsRead = Math.max(rowsRead, rows);
      },
      onCheckpoint: async () => {},
    });
    try {
      await expect.poll(() => probe.overlapped.has(1), { timeout: 30_000, interval: 50 }).toBe(true);
    } finally {
      probe.release();
    }
    const first = await pausing;
    expect(first.status).toBe('paused');
    if (first.status !== 'paused') return;
    const second = await writeChunk({ database, uploads: s3Uploads }, spec, first.checkpoint, {
      onCheckpoint: async () => {},
    });

    // Assert: stopped at part 1, rows of part 2 already read (and hashed) were dropped
    expect(probe.started).toEqual([1]);
    expect(first.checkpoint.parts.map((p) => p.partNumber)).toEqual([1]);
    expect(rowsRead).toBeGreaterThan(first.checkpoint.rows);
    expect(second.status).toBe('done');
    if (second.status !== 'done') return;
    const file = await readObject(s3, spec.key);
    expect(file.equals(csvOracle())).toBe(true);
    expect(second.sha256).toBe(sha256(file));
  });

  it('stopped while a part uploads and the next is read, continues from its last checkpoint into a byte-identical file', async () => {
    // Arrange: part 1 uploads while part 2 is read; part 2's upload is held while part 3 is read
    const spec = csvSpec();
    const { probe, db, uploads } = watched({ afterRead: [1], untilRelease: [2] });
    const saved: ChunkCheckpoint[] = [];
    const stop = new AbortController();
    const reason = new Error('invocation ending');
    const writing = writeChunk({ database: db, uploads }, spec, null, {
      signal: stop.signal,
      onCheckpoint: async (c) => void saved.push(c),
    });
    const stopped = writing.then(
      () => 'not stopped',
      (e: unknown) => e,
    );

    // Act: stop it there, then continue from what it saved
    try {
      await expect.poll(() => probe.readingPast(2), { timeout: 30_000, interval: 50 }).toBe(true);
      stop.abort(reason);
    } finally {
      probe.release();
    }
    const error = await stopped;
    const last = saved.at(-1)!;
    const resumed = await writeChunk({ database, uploads: s3Uploads }, spec, last, {
      onCheckpoint: async () => {},
    });

    // Assert: the last checkpoint is part 1's, though part 2's bytes had entered the digest since
    expect(error === reason || (error as Error).cause === reason).toBe(true);
    expect(probe.overlapped).toEqual(new Set([1, 2]));
    expect(last.parts.map((p) => p.partNumber)).toEqual([1]);
    expect(resumed.status).toBe('done');
    if (resumed.status !== 'done') return;
    const file = await readObject(s3, spec.key);
    expect(file.equals(csvOracle())).toBe(true);
    expect(resumed.sha256).toBe(sha256(file));
    expect(await openUploads(spec.key)).toBe(0);
  });

  it('hashes a file written in one invocation as it goes, and reads back only a file continued after stored parts', async () => {
    // Arrange: S3 uploads that count the files read back
    const spec = csvSpec();
    let readBacks = 0;
    const counting: MultipartUploads = Object.assign(Object.create(s3Uploads), {
      read: (key: string) => {
        readBacks++;
        return s3Uploads.read(key);
      },
    });
    const continued = { ...csvSpec(), key: spec.key.replace('.csv', '-continued.csv') };

    // Act: one file in one go; another paused at its first part and continued
    const whole = await writeChunk({ database, uploads: counting }, spec, null, {
      onCheckpoint: async () => {},
    });
    const readsForWhole = readBacks;
    const paused = await writeChunk({ database, uploads: counting }, continued, null, {
      shouldPause: () => true,
      onCheckpoint: async () => {},
    });
    if (paused.status !== 'paused') throw new Error(`expected a pause, got ${paused.status}`);
    const rest = await writeChunk({ database, uploads: counting }, continued, paused.checkpoint, {
      onCheckpoint: async () => {},
    });

    // Assert
    expect(readsForWhole).toBe(0);
    expect(readBacks).toBe(1);
    expect(paused.checkpoint.parts.length).toBeGreaterThan(0);
    for (const [outcome, key] of [
      [whole, spec.key],
      [rest, continued.key],
    ] as const) {
      if (outcome.status !== 'done') throw new Error(`expected done, got ${outcome.status}`);
      const file = await readObject(s3, key);
      expect(file.equals(csvOracle())).toBe(true);
      expect(outcome).toMatchObject({ sha256: sha256(file), rows: ACTIVITY_ROWS, bytes: file.length });
    }
  });

  it('continued after its upload completed but before it was recorded, reads the file back and writes nothing', async () => {
    // Arrange: a chunk stored whole, whose worker stopped right after saving the completed checkpoint
    const spec = csvSpec();
    let completed: ChunkCheckpoint | undefined;
    const first = await writeChunk({ database, uploads: s3Uploads }, spec, null, {
      onCheckpoint: async (c) => {
        if (c.completed) completed = c;
      },
    });
    if (first.status !== 'done' || !completed) throw new Error('expected a completed checkpoint');
    const untouchable = () => {
      throw new Error('a completed chunk must not read rows or upload parts');
    };
    const noDatabase: ExportDatabase = { withSnapshot: untouchable };
    const readOnly: MultipartUploads = Object.assign(Object.create(s3Uploads), {
      create: untouchable,
      uploadPart: untouchable,
      complete: untouchable,
    });

    // Act
    const again = await writeChunk({ database: noDatabase, uploads: readOnly }, spec, completed, {
      onCheckpoint: untouchable,
    });

    // Assert
    expect(again).toEqual(first);
    expect(first.sha256).toBe(sha256(await readObject(s3, spec.key)));
  });

  it('stops reading when saving a checkpoint finds the lease lost, with no part left uploading', async () => {
    // Arrange
    const spec = csvSpec();
    const { probe, db, uploads } = watched({});
    let partCheckpoints = 0;

    // Act
    const outcome = writeChunk({ database: db, uploads }, spec, null, {
      onCheckpoint: async (c) => {
        if (c.parts.length > 0 && ++partCheckpoints === 1) throw new LeaseLostError();
      },
    });

    // Assert: part 2 was never sealed, so never uploaded
    await expect(outcome).rejects.toBeInstanceOf(LeaseLostError);
    expect(probe.started).toEqual([1]);
    expect(probe.maxInFlight).toBe(1);
    await s3Uploads.abort(spec.key, probe.uploadId);
    expect(await openUploads(spec.key)).toBe(0);
  });
});
