import { SESv2Client } from '@aws-sdk/client-sesv2';
import { config } from '../config.js';
import { once } from '../once.js';
import { tracer } from '../powertools.js';

/** The Lambda's SES client, created on first use from `config()` and traced by X-Ray. */
export const sesClient = once(() =>
  tracer.captureAWSv3Client(new SESv2Client({ region: config().AWS_REGION })),
);
