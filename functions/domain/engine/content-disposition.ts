/**
 * `Content-Disposition: attachment` for a file name (RFC 6266): an ASCII fallback in `filename`
 * and the exact UTF-8 name in `filename*` (RFC 8187), so any name is a valid header value.
 */
export function attachmentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
