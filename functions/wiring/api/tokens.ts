import { config } from '../../platform/config.js';
import { once } from '../../platform/once.js';
import { resolveLinkSecret } from '../../platform/secrets.js';
import { tokenVerifierFromEnv } from '../token-verifier.js';

export const apiTokens = once(() => tokenVerifierFromEnv());
export const apiLinkSecret = once(() => once(() => resolveLinkSecret(config())));
