import { config } from '../config.js';
import { once } from '../once.js';
import { resolveLinkSecret } from '../secrets.js';
import { tokenVerifierFromEnv } from '../token-verifier.js';
import { part } from './provided.js';

export const apiTokens = part('tokens', () => tokenVerifierFromEnv());
export const apiLinkSecret = part('linkSecret', () => once(() => resolveLinkSecret(config())));
