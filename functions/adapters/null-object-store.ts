import type { ObjectStore, UploadRequest } from '../domain/ports.js';

/** An object store that reads and discards every body: the engine's null sink, for benchmarks. */
export class NullObjectStore implements ObjectStore {
  bytes = 0;

  async upload(request: UploadRequest): Promise<void> {
    for await (const chunk of request.body) this.bytes += (chunk as Buffer).length;
  }

  async presignDownload(): Promise<string> {
    throw new Error('the null object store keeps nothing to download');
  }

  async exists(): Promise<boolean> {
    return false;
  }

  async delete(): Promise<void> {}
}
