/** What route matching reads of a route. */
export interface RouteKey {
  readonly method: string;
  /** Resource path with `{param}` segments, e.g. `/api/export/jobs/{jobId}`. */
  readonly resource: string;
}

/** A matched route and its path parameters (`null` when it has none, as in the proxy event). */
export interface MatchedRoute<R extends RouteKey> {
  readonly route: R;
  readonly pathParameters: Record<string, string> | null;
}

/**
 * The route of `method` and `path`, as API Gateway selects a REST API resource: segment by segment,
 * a `{param}` taking one non-empty segment, percent-decoded (kept as sent when it does not
 * decode). `undefined` for an unknown resource or method alike: API Gateway answers both with
 * "Missing Authentication Token".
 */
export function matchRoute<R extends RouteKey>(
  routes: readonly R[],
  method: string,
  path: string,
): MatchedRoute<R> | undefined {
  const segments = path.split('/');
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.resource.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matches = true;
    for (const [index, part] of pattern.entries()) {
      const segment = segments[index] ?? '';
      const param = /^\{(\w+)\}$/.exec(part);
      if (param) {
        if (segment === '') {
          matches = false;
          break;
        }
        let value: string;
        try {
          value = decodeURIComponent(segment);
        } catch {
          value = segment;
        }
        params[param[1]!] = value;
      } else if (part !== segment) {
        matches = false;
        break;
      }
    }
    if (matches) return { route, pathParameters: Object.keys(params).length > 0 ? params : null };
  }
  return undefined;
}
