import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { WebhookRequest, WebhookTransport } from '../../domain/webhooks/webhook-delivery.js';

/** How much of a response body is read (and discarded) before the connection is dropped. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The WebhookTransport port on node's http/https. The connection goes to the address the URL was
 * checked against (a `lookup` that answers with it), so DNS cannot change between the check and
 * the connection; TLS still verifies the certificate for the URL's host name (SNI and Host are the
 * URL's). No redirects are followed, no proxy is used, and the whole exchange has `timeoutMs`.
 */
export class HttpWebhookTransport implements WebhookTransport {
  send(request: WebhookRequest): Promise<{ statusCode: number }> {
    const { url, address } = request;
    const lookup: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) {
        (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
          { address: address.address, family: address.family },
        ]);
      } else callback(null, address.address, address.family);
    };
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: 'POST',
          headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
          lookup,
          agent: false,
          timeout: request.timeoutMs,
          signal: AbortSignal.timeout(request.timeoutMs),
        },
        (res) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_RESPONSE_BYTES) res.destroy();
          });
          res.on('close', () => resolve({ statusCode: res.statusCode ?? 0 }));
          res.on('error', () => resolve({ statusCode: res.statusCode ?? 0 }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no response within ${request.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(request.body);
    });
  }
}
