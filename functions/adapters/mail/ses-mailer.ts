import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { EmailMessage, Mailer } from '../../domain/notifications/mailer.js';
import { isTransientAwsError, translateAwsError } from '../aws/client-config.js';

export interface SesMailerProps {
  readonly client: SESv2Client;
  /** `From:` address, verified in SES (`MAIL_FROM`). */
  readonly from: string;
  /** SES configuration set for delivery events. @default none */
  readonly configurationSetName?: string;
}

/** SES error names worth a retry: throttling and SES-side faults. */
const RETRYABLE = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'InternalServiceErrorException',
]);

/** Translates an SES error: throttling, 5xx and network failures are retryable, rejections are not. */
export function translateSesError(error: unknown): Error {
  return translateAwsError(
    error,
    {
      unavailable: 'email service unavailable',
      code: 'mail_rejected',
      refused: 'the email service refused the message',
      status: 502,
    },
    (e) => isTransientAwsError(e, RETRYABLE),
  );
}

/**
 * The Mailer port on SES v2 `SendEmail` (simple content: UTF-8 subject, text and HTML). SES keeps
 * no idempotency key, so the message id travels as the `X-Export-Message-Id` header for tracing;
 * one send per outcome is guaranteed by the worker (only the outcome's winner sends).
 */
export class SesMailer implements Mailer {
  constructor(private readonly props: SesMailerProps) {}

  async send(message: EmailMessage): Promise<void> {
    const command = new SendEmailCommand({
      FromEmailAddress: this.props.from,
      Destination: { ToAddresses: [message.to] },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: {
            Text: { Data: message.text, Charset: 'UTF-8' },
            Html: { Data: message.html, Charset: 'UTF-8' },
          },
          Headers: [{ Name: 'X-Export-Message-Id', Value: message.messageId }],
        },
      },
      ...(this.props.configurationSetName && { ConfigurationSetName: this.props.configurationSetName }),
    });
    try {
      await this.props.client.send(command);
    } catch (error) {
      throw translateSesError(error);
    }
  }
}
