import { z } from 'zod';
import {
  defaultOf,
  MAX_LAMBDA_TIMEOUT_SECONDS,
  SETTINGS,
  type SettingName,
} from '../functions/platform/settings.js';

/** The deployment stages the app knows. Each has its own block under context `stages`. */
export const STAGE_NAMES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const AWS_ID = {
  vpc: /^vpc-[0-9a-f]{8,17}$/,
  subnet: /^subnet-[0-9a-f]{8,17}$/,
  securityGroup: /^sg-[0-9a-f]{8,17}$/,
  /** The resource id an IAM `rds-db:connect` grant names (cluster, instance or proxy). */
  rdsResourceId: /^(cluster|db|prx)-[A-Za-z0-9]{10,}$/,
  availabilityZone: /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/,
};

/** A stage key that sets a runtime setting: its bounds and default are the setting's own. */
const setting = (name: SettingName) =>
  z.number().int().min(SETTINGS[name].min).max(SETTINGS[name].max).default(SETTINGS[name].default);

const Throttle = z.strictObject({
  /** Steady-state requests per second. */
  rateLimit: z.number().positive(),
  /** Bucket size for bursts. */
  burstLimit: z.number().int().positive(),
});

const Quota = z.strictObject({
  limit: z.number().int().positive(),
  period: z.enum(['DAY', 'WEEK', 'MONTH']),
});

const Name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, starting with a letter');

const UsagePlan = z.strictObject({
  name: Name,
  throttle: Throttle,
  quota: Quota,
  /** One API key is created per name and attached to this plan. */
  apiKeys: z.array(Name).min(1),
});

const CreateDatabase = z.strictObject({
  mode: z.literal('create'),
  /** Aurora capacity units; 0 lets the cluster pause when idle. */
  minCapacity: z.number().min(0).max(256).default(0.5),
  maxCapacity: z.number().min(1).max(256).default(2),
  natGateways: z.number().int().min(1).max(3).default(1),
});

const ExistingDatabase = z.strictObject({
  mode: z.literal('existing'),
  vpcId: z.string().regex(AWS_ID.vpc, 'expected a VPC id such as vpc-0abc12345def67890'),
  availabilityZones: z
    .array(z.string().regex(AWS_ID.availabilityZone, 'expected an AZ such as eu-west-1a'))
    .min(1),
  privateSubnetIds: z
    .array(z.string().regex(AWS_ID.subnet, 'expected a subnet id such as subnet-0abc1234'))
    .min(1),
  securityGroupIds: z
    .array(z.string().regex(AWS_ID.securityGroup, 'expected a security group id such as sg-0abc1234'))
    .min(1),
  /** Endpoint the functions connect to: the cluster or instance, or an RDS Proxy in front of it. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(5432),
  databaseName: z.string().min(1),
  /**
   * Resource id of what `host` points at (`cluster-…` in the Aurora console's configuration,
   * `db-…` for an instance, `prx-…` for a proxy): the functions' `rds-db:connect` grants name it.
   */
  resourceId: z
    .string()
    .regex(AWS_ID.rdsResourceId, 'expected an RDS resource id such as cluster-ABCDEFGHIJKL0123456789'),
});

const StageSettings = z
  .strictObject({
    env: z
      .strictObject({
        account: z
          .string()
          .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
          .optional(),
        region: z
          .string()
          .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected a region such as eu-west-1')
          .optional(),
      })
      .default({}),
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)
      .optional(),
    /** Keep data-bearing resources (bucket, database, secrets, logs) when the stack is deleted. */
    retainData: z.boolean().optional(),
    logRetentionDays: z
      .number()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .optional(),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    database: z.discriminatedUnion('mode', [CreateDatabase, ExistingDatabase], {
      error: "database.mode must be 'create' (new VPC + Aurora Serverless v2) or 'existing'",
    }),
    jwt: z.strictObject({
      jwksUrl: z.url({
        protocol: /^https$/,
        error: 'expected an https:// URL of the identity provider JWKS',
      }),
      issuer: z.string().min(1),
      audience: z.string().min(1),
    }),
    mail: z.strictObject({
      from: z.email(),
      /** SES identity that authorises `from`: the address itself or its domain. @default from */
      identity: z.string().min(1).optional(),
      /** Create the SES identity in this stack; false when it already exists in the account. */
      createIdentity: z.boolean().default(true),
    }),
    api: z.strictObject({
      authorizerCacheSeconds: z.number().int().min(0).max(3600).default(300),
      stageThrottle: Throttle.default({ rateLimit: 50, burstLimit: 100 }),
      usagePlans: z.array(UsagePlan).min(1),
      /** Per-IP limits (requests per 5 minutes) of the WAF web ACL every stage has. */
      waf: z
        .strictObject({
          rateLimitPerIp: z.number().int().min(10).default(1000),
          publicRateLimitPerIp: z.number().int().min(10).default(100),
        })
        .default({ rateLimitPerIp: 1000, publicRateLimitPerIp: 100 }),
      /** Reserved concurrency of the routes without API key or authorizer (the download link). */
      publicRouteConcurrency: z.number().int().min(1).default(10),
      /** Public base URL (custom domain) put into emailed links. @default the execute-api URL */
      publicUrl: z.url({ protocol: /^https$/ }).optional(),
      /** Set the account-wide API Gateway CloudWatch role (needed once per account and region for logs). */
      cloudWatchRole: z.boolean().default(true),
    }),
    worker: z
      .strictObject({
        timeoutSeconds: z
          .number()
          .int()
          .min(60)
          .max(MAX_LAMBDA_TIMEOUT_SECONDS)
          .default(MAX_LAMBDA_TIMEOUT_SECONDS),
        memoryMb: z.number().int().min(256).max(10240).default(1024),
        /**
         * Upper bound of concurrent workers: each holds two database connections (job state and
         * its export's snapshot; a `snapshot` job's readers open `SNAPSHOT_READERS` more while it
         * runs), and the chunks of a large export run on this many at once.
         */
        maxConcurrency: z.number().int().min(2).max(1000).default(5),
        batchSize: z.number().int().min(1).max(10).default(1),
        /** A table with more estimated rows is split into chunks of about this many (`CHUNK_ROWS`). */
        chunkRows: setting('CHUNK_ROWS'),
      })
      .default({
        timeoutSeconds: MAX_LAMBDA_TIMEOUT_SECONDS,
        memoryMb: 1024,
        maxConcurrency: 5,
        batchSize: 1,
        chunkRows: defaultOf('CHUNK_ROWS'),
      }),
    exports: z
      .strictObject({
        expirationDays: z.number().int().min(1).default(7),
        scheduledExpirationDays: z.number().int().min(1).optional(),
        inlineLimitBytes: setting('INLINE_LIMIT_BYTES'),
        linkTtlSeconds: setting('LINK_TTL_SECONDS'),
        rateLimitMax: setting('RATE_LIMIT_MAX'),
        rateLimitWindowSeconds: setting('RATE_LIMIT_WINDOW_SECONDS'),
      })
      .default({
        expirationDays: 7,
        inlineLimitBytes: defaultOf('INLINE_LIMIT_BYTES'),
        linkTtlSeconds: defaultOf('LINK_TTL_SECONDS'),
        rateLimitMax: defaultOf('RATE_LIMIT_MAX'),
        rateLimitWindowSeconds: defaultOf('RATE_LIMIT_WINDOW_SECONDS'),
      }),
    schedules: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
    alarms: z.strictObject({ email: z.email().optional() }).default({}),
  })
  .superRefine((settings, ctx) => {
    const { exports, database, mail, api } = settings;
    if (exports.expirationDays * 86_400 < exports.linkTtlSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['exports', 'expirationDays'],
        message: `objects would expire before their emailed links (linkTtlSeconds ${exports.linkTtlSeconds}); use at least ${Math.ceil(exports.linkTtlSeconds / 86_400)} days`,
      });
    }
    if (database.mode === 'create' && database.minCapacity > database.maxCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'minCapacity'],
        message: 'must not exceed maxCapacity',
      });
    }
    if (
      database.mode === 'existing' &&
      database.privateSubnetIds.length % database.availabilityZones.length !== 0
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'privateSubnetIds'],
        message: 'list one subnet per availability zone, in the order of availabilityZones',
      });
    }
    const identity = mail.identity ?? mail.from;
    if (identity !== mail.from && !mail.from.toLowerCase().endsWith(`@${identity.toLowerCase()}`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['mail', 'identity'],
        message: `must be the from address or its domain (${mail.from.split('@')[1]})`,
      });
    }
    const keys = api.usagePlans.flatMap((plan) => plan.apiKeys);
    const planNames = api.usagePlans.map((plan) => plan.name);
    if (new Set(keys).size !== keys.length) {
      ctx.addIssue({ code: 'custom', path: ['api', 'usagePlans'], message: 'an API key name is used twice' });
    }
    if (new Set(planNames).size !== planNames.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'usagePlans'],
        message: 'a usage plan name is used twice',
      });
    }
  });

/** Validated settings of the stage being synthesised. */
export type StageConfig = z.output<typeof StageSettings> & {
  readonly stage: StageName;
  readonly retainData: boolean;
  readonly logRetentionDays: number;
  readonly stackName: string;
};

/** Raised for any invalid or missing context value; the message names each offending key. */
export class StageConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageConfigError';
  }
}

/** Reads one context key, e.g. `(key) => app.node.tryGetContext(key)`. */
export type ContextReader = (key: string) => unknown;

/**
 * Validates the context of one stage: `stage` selects a block of context `stages`. Every problem
 * is reported at once, with its full context path, e.g.
 * `stages.prod.database.resourceId: expected an RDS resource id…`.
 */
export function loadStageConfig(readContext: ContextReader): StageConfig {
  const stage = readContext('stage') ?? 'dev';
  if (typeof stage !== 'string' || !(STAGE_NAMES as readonly string[]).includes(stage)) {
    throw new StageConfigError(
      `Invalid context 'stage': ${JSON.stringify(stage)}. Use one of ${STAGE_NAMES.join(', ')}, e.g. \`cdk synth -c stage=dev\`.`,
    );
  }
  const stages = readContext('stages');
  if (typeof stages !== 'object' || stages === null) {
    throw new StageConfigError(
      "Missing context 'stages': cdk.json must define context.stages.<stage> (see docs/deployment.md).",
    );
  }
  const raw = (stages as Record<string, unknown>)[stage];
  if (raw === undefined) {
    throw new StageConfigError(
      `Missing context 'stages.${stage}': add the settings of stage '${stage}' (see docs/deployment.md).`,
    );
  }
  const parsed = StageSettings.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const path = ['stages', stage, ...issue.path.map(String)].join('.');
      const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
      return `  - ${path}: ${missing ? `required (${issue.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')})` : issue.message}`;
    });
    throw new StageConfigError(
      `Invalid context for stage '${stage}':\n${lines.join('\n')}\nSee docs/deployment.md for every key.`,
    );
  }
  const settings = parsed.data;
  const retainData = settings.retainData ?? stage === 'prod';
  return {
    ...settings,
    stage: stage as StageName,
    retainData,
    logRetentionDays: settings.logRetentionDays ?? (stage === 'prod' ? 365 : 14),
    stackName: settings.stackName ?? `DataExport-${stage}`,
  };
}
