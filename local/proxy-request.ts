import type { IncomingMessage } from 'node:http';

/*
 * The parts of an HTTP request that a REST proxy event carries, read as API Gateway reads them.
 */

/**
 * An object for keys that come from the request (header and query names): without a prototype,
 * `constructor`, `toString` or `__proto__` are plain keys, as in the JSON event API Gateway sends.
 */
function requestKeyed<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** Headers as API Gateway gives them: original case, `headers` holds the last value of each. */
export function requestHeaders(req: IncomingMessage): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const headers = requestKeyed<string>();
  const multiValueHeaders = requestKeyed<string[]>();
  const names = new Map<string, string>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const raw = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    const name = names.get(raw.toLowerCase()) ?? raw;
    names.set(raw.toLowerCase(), name);
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  return { headers, multiValueHeaders };
}

/** Query parameters as API Gateway gives them: `null` when there are none, the last value of each in the single map. */
export function queryParameters(url: URL): {
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
} {
  const single = requestKeyed<string>();
  const multi = requestKeyed<string[]>();
  for (const [key, value] of url.searchParams) {
    single[key] = value;
    multi[key] = [...(multi[key] ?? []), value];
  }
  return Object.keys(single).length === 0
    ? { queryStringParameters: null, multiValueQueryStringParameters: null }
    : { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

/** Whether the request announces a body (which is then still unread on the socket). */
export function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/** The body, or `undefined` once it exceeds `limit` (declared or as read). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Whether a body of `contentType` reaches the handler base64-encoded (`binaryMediaTypes`, with `*` wildcards). */
export function isBinary(contentType: string | undefined, binaryTypes: readonly string[]): boolean {
  if (!contentType) return false;
  const [type = '', subtype = ''] = (contentType.split(';')[0] ?? '').trim().toLowerCase().split('/');
  return binaryTypes.some((candidate) => {
    const [t, s] = candidate.toLowerCase().split('/');
    return (t === '*' || t === type) && (s === '*' || s === subtype);
  });
}
