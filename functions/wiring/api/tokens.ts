import { config } from '../../platform/config.js';
import { once } from '../../platform/once.js';
import { resolveLinkSecret } from '../../platform/secrets.js';
import { tokenVerifierFromEnv } from '../token-verifier.js';
import { part } from './provided.js';

export const apiTokens = part('tokens', () => tokenVerifierFromEnv());
export const apiLinkSecret = part('linkSecret', () => once(() => resolveLinkSecret(config())));
