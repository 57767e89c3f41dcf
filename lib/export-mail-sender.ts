import { EmailIdentity, Identity, type IEmailIdentity } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface ExportMailSenderProps {
  /** Sender address of the download-link emails (`MAIL_FROM`). */
  readonly fromAddress: string;
  /**
   * The SES identity that authorises `fromAddress`: the address itself or its domain.
   * @default fromAddress
   */
  readonly identityName?: string;
  /**
   * Create the identity here. False when it already exists (verified) in the account and region.
   * @default true
   */
  readonly createIdentity?: boolean;
}

/**
 * The SES sender of the service. Functions get `ses:SendEmail` on this identity only, through
 * `ExportFunction.bindMailSender`.
 */
export class ExportMailSender extends Construct {
  public readonly identity: IEmailIdentity;
  public readonly fromAddress: string;

  constructor(scope: Construct, id: string, props: ExportMailSenderProps) {
    super(scope, id);
    const name = props.identityName ?? props.fromAddress;
    this.fromAddress = props.fromAddress;
    if (props.createIdentity ?? true) {
      this.identity = new EmailIdentity(this, 'Identity', {
        identity: name.includes('@') ? Identity.email(name) : Identity.domain(name),
      });
    } else {
      this.identity = EmailIdentity.fromEmailIdentityName(this, 'Identity', name);
    }
  }
}
