import { type FauxqsServer, startFauxqs } from 'fauxqs';

/** The in-process AWS emulator (S3 and SQS) used by the local runtime and the tests. */
export interface LocalAws {
  /** Endpoint for both the S3 (path style) and the SQS clients. */
  readonly endpoint: string;
  readonly server: FauxqsServer;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs, which speaks the S3 REST and the SQS JSON protocols of the current AWS SDK.
 * It was chosen over s3rver because it implements AbortMultipartUpload (s3rver answers
 * NotImplemented), which the engine relies on to leave nothing behind when an export fails.
 */
export async function startLocalAws(
  props: { port?: number; buckets?: readonly string[] } = {},
): Promise<LocalAws> {
  const server = await startFauxqs({ port: props.port ?? 0, logger: false });
  for (const bucket of props.buckets ?? []) server.createBucket(bucket);
  return { endpoint: server.address, server, stop: () => server.stop() };
}
