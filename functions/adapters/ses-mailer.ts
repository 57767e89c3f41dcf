import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DependencyError, ExportError } from '../domain/errors.js';
import type { EmailMessage, Mailer } from '../domain/mailer.js';

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
  if (error instanceof ExportError) return error;
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  if (
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    e.$retryable ||
    RETRYABLE.has(e.name ?? '')
  ) {
    return new DependencyError('email service unavailable', error);
  }
  return new ExportError(
    'mail_rejected',
    `the email service refused the message: ${e.name ?? 'error'}`,
    502,
    {
      cause: error,
    },
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
