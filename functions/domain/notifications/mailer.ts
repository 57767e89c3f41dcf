export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Idempotency: a mailer may use it to drop a second send of the same message. */
  readonly messageId: string;
}

/** Port: sends email (SES in AWS, an outbox folder of .eml files locally). */
export interface Mailer {
  send(message: EmailMessage): Promise<void>;
}
