import yauzl from 'yauzl';

/** The entries of a zip file, name → content, read with yauzl (independent of the writer). */
export function unzip(buffer: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const entries = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const parts: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => parts.push(chunk));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(parts));
            zip.readEntry();
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** How each entry of a zip is stored: `stored` as is, or `deflated`. */
export function zipEntryMethods(buffer: Buffer): Promise<Record<string, 'stored' | 'deflated'>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const methods: Record<string, 'stored' | 'deflated'> = {};
      zip.on('entry', (entry: yauzl.Entry) => {
        methods[entry.fileName] = entry.compressionMethod === 0 ? 'stored' : 'deflated';
        zip.readEntry();
      });
      zip.on('end', () => resolve(methods));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
