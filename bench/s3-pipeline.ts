/**
 * The second baseline of the S3 cases: the shell pipeline an operator would write instead of the
 * service, `psql -c "\copy (query) TO STDOUT WITH CSV HEADER" | aws s3 cp - s3://bucket/key`, into
 * the same local S3 server the cases write to. Timed around the whole pipeline, peak RSS being the
 * largest process's (`/usr/bin/time` reports the biggest of the waited-for children).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../functions/adapters/s3/client.js';

export interface PipelineSample {
  readonly rows: number;
  readonly seconds: number;
  readonly peakRssMb: number | null;
  /** CPU seconds of psql and the AWS CLI together. */
  readonly cpuSeconds: number | null;
  readonly bytes: number;
}

export interface S3PipelineProps {
  readonly databaseUrl: string;
  /** The cases' query, run by `psql \copy`. */
  readonly query: string;
  /** Rows the query returns (the pipeline does not count them). */
  readonly rows: number;
  readonly endpoint: string;
  readonly bucket: string;
}

export interface S3Pipeline {
  readonly name: string;
  /** `aws --version` of the CLI used. */
  readonly cliVersion: string;
  /** Runs the pipeline once; the object it wrote is deleted again, so each case meets an empty bucket. */
  measure(): Promise<PipelineSample>;
}

/**
 * Debian's AWS CLI (`apt-get install awscli`, v2) when present, else whichever `aws` is on PATH
 * (a pip-installed v1 would otherwise shadow it on some machines).
 */
function awsCli(): { command: string; version: string } | undefined {
  for (const command of ['/usr/bin/aws', 'aws']) {
    const probe = spawnSync(command, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0)
      return { command, version: `${probe.stdout}${probe.stderr}`.trim().split(' ')[0]! };
  }
  return undefined;
}

const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/** The pipeline, or why it cannot run here (no psql, no AWS CLI). */
export function s3Pipeline(props: S3PipelineProps): S3Pipeline | { readonly unavailable: string } {
  if (spawnSync('psql', ['--version']).status !== 0) return { unavailable: 'psql is not installed' };
  const cli = awsCli();
  if (!cli) return { unavailable: 'the AWS CLI is not installed (apt-get install -y awscli)' };
  // Fake credentials and path-style addressing for the local server; nothing reaches AWS.
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-aws-'));
  const configFile = path.join(configDir, 'config');
  fs.writeFileSync(configFile, '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n');
  const env = {
    ...process.env,
    PGTZ: 'UTC',
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: path.join(configDir, 'credentials'),
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  const s3 = createS3Client({ endpoint: props.endpoint });
  const hasTime = fs.existsSync('/usr/bin/time');
  let run = 0;
  return {
    name: 'baseline psql | aws s3 cp → s3',
    cliVersion: cli.version,
    async measure() {
      run += 1;
      const key = `bench/pipeline-${run}.csv`;
      const copy = `\\copy (${props.query}) TO STDOUT WITH CSV HEADER`;
      const script = [
        'set -o pipefail',
        `psql ${quote(props.databaseUrl)} -X -q -c ${quote(copy)} | ${quote(cli.command)} s3 cp - ${quote(`s3://${props.bucket}/${key}`)} --endpoint-url ${quote(props.endpoint)} --only-show-errors`,
      ].join('\n');
      // User and system CPU seconds (bash's, which include psql's and aws's) and peak RSS in KiB.
      const args = hasTime
        ? ['/usr/bin/time', '-f', '%U %S %M', 'bash', '-c', script]
        : ['bash', '-c', script];
      const started = process.hrtime.bigint();
      // Asynchronous: the S3 server runs in this process and must keep serving the upload.
      const result = await runAsync(args[0]!, args.slice(1), env);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (result.status !== 0) throw new Error(`the psql | aws s3 cp pipeline failed: ${result.stderr}`);
      const [user, system, rssKb] = hasTime
        ? (result.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number)
        : [Number.NaN, Number.NaN, Number.NaN];
      const head = await s3.send(new HeadObjectCommand({ Bucket: props.bucket, Key: key }));
      await s3.send(new DeleteObjectCommand({ Bucket: props.bucket, Key: key }));
      return {
        rows: props.rows,
        seconds,
        peakRssMb: Number.isFinite(rssKb) ? Math.round(rssKb! / 1024) : null,
        cpuSeconds: Number.isFinite(user! + system!) ? user! + system! : null,
        bytes: head.ContentLength ?? 0,
      };
    },
  };
}

function runAsync(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}
