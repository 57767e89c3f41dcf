import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { Config } from './config.js';

/**
 * The key that signs download links: `LINK_SECRET` locally, Secrets Manager in AWS. Only the
 * functions that sign or verify links are given it (and the grant to read it), so it is resolved
 * on first use rather than at every cold start.
 */
export async function resolveLinkSecret(cfg: Config): Promise<string> {
  if (cfg.LINK_SECRET) return cfg.LINK_SECRET;
  if (!cfg.LINK_SECRET_ARN) throw new Error('invalid configuration: set LINK_SECRET or LINK_SECRET_ARN');
  return (await getSecret(cfg.LINK_SECRET_ARN, { maxAge: 300 })) as string;
}
