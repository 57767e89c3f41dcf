import type { APIGatewayAuthorizerResult } from 'aws-lambda';

/** IAM's wildcards: `*` any run of characters, `?` one. */
function wildcardMatch(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

/** IAM-style evaluation of the authorizer's policy for `methodArn`: an explicit Deny wins, then an Allow. */
export function policyAllows(result: APIGatewayAuthorizerResult, methodArn: string): boolean {
  let allowed = false;
  for (const statement of result.policyDocument?.Statement ?? []) {
    const s = statement as { Effect?: string; Action?: string | string[]; Resource?: string | string[] };
    const actions = [s.Action ?? []].flat();
    const resources = [s.Resource ?? []].flat();
    if (!actions.some((action) => wildcardMatch(action, 'execute-api:Invoke'))) continue;
    if (!resources.some((resource) => wildcardMatch(resource, methodArn))) continue;
    if (s.Effect === 'Deny') return false;
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed;
}
