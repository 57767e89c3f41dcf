import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { AesGcmSecretBox } from '../adapters/crypto/aes-gcm-secret-box.js';
import type { SecretBox } from '../domain/webhooks/webhooks.js';
import type { Config } from '../platform/config.js';

/**
 * The box that seals webhook signing secrets, under `WEBHOOK_SECRET_KEY` locally or the Secrets
 * Manager secret `WEBHOOK_SECRET_KEY_ARN` in AWS (read once per execution environment and cached
 * five minutes; only the registering route and the delivery function are granted it). The
 * signing secrets must be recoverable to sign, so they are encrypted, not hashed.
 */
export async function createSecretBox(cfg: Config): Promise<SecretBox> {
  if (cfg.WEBHOOK_SECRET_KEY) return new AesGcmSecretBox(cfg.WEBHOOK_SECRET_KEY);
  if (!cfg.WEBHOOK_SECRET_KEY_ARN)
    throw new Error('invalid configuration: set WEBHOOK_SECRET_KEY or WEBHOOK_SECRET_KEY_ARN');
  return new AesGcmSecretBox((await getSecret(cfg.WEBHOOK_SECRET_KEY_ARN, { maxAge: 300 })) as string);
}
