import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ExportApiWafProps {
  /** ARN of the API Gateway stage to protect. */
  readonly stageArn: string;
  /**
   * Requests per client IP in any 5-minute window, on every route.
   * @default 1000
   */
  readonly rateLimitPerIp?: number;
  /**
   * Paths (below the stage) that anyone may call without API key or authorizer: the emailed
   * download link. Each gets its own, tighter per-IP limit.
   */
  readonly publicPathSuffixes: readonly string[];
  /**
   * Requests per client IP in any 5-minute window to `publicPathSuffixes`.
   * @default 100
   */
  readonly publicRateLimitPerIp?: number;
}

/**
 * The web ACL of the REST API stage, in every stage: AWS's common and known-bad-input rule groups,
 * a per-IP rate limit on every route, and a tighter one on the routes that need neither an API
 * key nor the authorizer (only the handler itself can refuse those, so WAF must bound them first).
 */
export class ExportApiWaf extends Construct {
  public readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ExportApiWafProps) {
    super(scope, id);
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const managed = (name: string, priority: number) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });
    const publicPaths = props.publicPathSuffixes.map((suffix) => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'ENDS_WITH',
        searchString: suffix,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    }));
    const [firstPublic, ...otherPublic] = publicPaths;
    if (!firstPublic) throw new Error('ExportApiWaf: publicPathSuffixes must name at least one path');

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('DataExportApi'),
      rules: [
        {
          name: 'PublicRoutesRateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.publicRateLimitPerIp ?? 100,
              aggregateKeyType: 'IP',
              scopeDownStatement:
                otherPublic.length === 0 ? firstPublic : { orStatement: { statements: publicPaths } },
            },
          },
          visibilityConfig: visibility('PublicRoutesRateLimitPerIp'),
        },
        managed('AWSManagedRulesCommonRuleSet', 1),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
        {
          name: 'RateLimitPerIp',
          priority: 3,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.rateLimitPerIp ?? 1000, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
      ],
    });
    new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
