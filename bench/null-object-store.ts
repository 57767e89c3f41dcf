import type { ObjectStore, StoredObject, UploadRequest } from '../functions/domain/engine/ports.js';

/** An object store that reads and discards every body: the engine's null sink, for benchmarks. */
export class NullObjectStore implements ObjectStore {
  bytes = 0;

  async upload(request: UploadRequest): Promise<StoredObject> {
    for await (const chunk of request.body) this.bytes += (chunk as Buffer).length;
    return { etag: 'discarded' };
  }

  async presignDownload(): Promise<string> {
    throw new Error('the null object store keeps nothing to download');
  }

  async head(): Promise<undefined> {
    return undefined;
  }

  async delete(): Promise<void> {}
}
