import net from 'node:net';
import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresExportDatabase } from '../../../functions/adapters/postgres/postgres-export-database.js';
import { createS3Client } from '../../../functions/adapters/s3/client.js';
import { S3ObjectStore } from '../../../functions/adapters/s3/s3-object-store.js';
import { runExport } from '../../../functions/domain/engine/run-export.js';
import { DependencyError } from '../../../functions/domain/errors.js';
import { type LocalAws, startLocalAws } from '../../../local/local-aws.js';
import { objectExists, testSql } from '../../support/services.js';

/** A TCP proxy in front of the S3 server that can be "switched off": every connection is cut and refused. */
class SwitchableProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: number) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  stop(): void {
    this.server?.close();
    for (const s of this.sockets) s.destroy();
  }
}

let aws: LocalAws;
let proxy: SwitchableProxy;
const sql = testSql({ max: 1 });

beforeAll(async () => {
  aws = await startLocalAws();
  proxy = new SwitchableProxy(Number(new URL(aws.endpoint).port));
  await proxy.start();
});
afterAll(async () => {
  proxy.stop();
  await aws.stop();
  await sql.end();
});

it('leaves no object and no unfinished multipart upload when the S3 server goes away mid-upload', async () => {
  const direct = createS3Client({ endpoint: aws.endpoint });
  await direct.send(new CreateBucketCommand({ Bucket: 'outage-bucket' }));
  const store = new S3ObjectStore({
    client: createS3Client({ endpoint: `http://127.0.0.1:${proxy.port}` }),
    bucket: 'outage-bucket',
    partSize: 5 * 1024 * 1024,
    queueSize: 1,
  });
  let cut = false;

  const run = runExport(
    { database: new PostgresExportDatabase(sql), store },
    {
      sections: [
        {
          name: 'big',
          sql: "SELECT g AS id, repeat('x', 200) AS title FROM generate_series(1, 150000) g",
          params: {},
          columns: [
            { name: 'id', type: 'bigint' },
            { name: 'title', type: 'text' },
          ],
        },
      ],
      format: 'csv',
      compression: 'none',
      formulaGuard: false,
      keyBase: 'exports/outage/export',
      fileName: 'export',
    },
    {
      progressRows: 1000,
      onProgress: (p) => {
        // After the first part (5 MiB) went out, the server disappears for 1.5 s, then comes back.
        if (!cut && p.bytesWritten > 11 * 1024 * 1024) {
          cut = true;
          proxy.stop();
          setTimeout(() => void proxy.start(), 1500);
        }
      },
    },
  );

  await expect(run).rejects.toBeInstanceOf(DependencyError);
  expect(cut).toBe(true);
  expect(await objectExists(direct, 'exports/outage/export.csv', 'outage-bucket')).toBe(false);
  // The emulator refuses to delete a bucket holding objects or in-progress multipart uploads.
  await expect(direct.send(new DeleteBucketCommand({ Bucket: 'outage-bucket' }))).resolves.toBeDefined();
});
