import { config } from '../../platform/config.js';
import { once } from '../../platform/once.js';
import { createSecretBox } from '../webhook-secret-key.js';

/** The box sealing webhook secrets, for the registering route only (Secrets Manager in AWS). */
export const apiSecretBox = once(() => once(() => createSecretBox(config())));
