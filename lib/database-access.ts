import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  type ISecurityGroup,
  type IVpc,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AuroraPostgresEngineVersion,
  ClusterInstance,
  Credentials,
  DatabaseCluster,
  DatabaseClusterEngine,
} from 'aws-cdk-lib/aws-rds';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Where a function runs so that it can reach the database. */
export interface FunctionNetwork {
  readonly vpc: IVpc;
  readonly vpcSubnets: SubnetSelection;
  readonly securityGroups: ISecurityGroup[];
}

/** An existing Postgres (product database) reachable from the given subnets. */
export interface ExistingDatabaseProps {
  readonly vpcId: string;
  /** One entry per subnet in `privateSubnetIds`, same order. */
  readonly availabilityZones: string[];
  /** Subnets the functions run in; they need egress (NAT or VPC endpoints) to S3, SQS, SES, Secrets Manager. */
  readonly privateSubnetIds: string[];
  /** Security groups of the functions; the database must already admit them. */
  readonly securityGroupIds: string[];
  /** Endpoint the functions connect to (cluster, instance or RDS Proxy), with IAM authentication on. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  readonly databaseName: string;
  /** Resource id of what `host` points at (`cluster-…`, `db-…` or `prx-…`), named by the connect grants. */
  readonly resourceId: string;
}

/** A self-contained database: a new VPC and an Aurora Serverless v2 Postgres cluster. */
export interface CreatedDatabaseProps {
  /** @default 0.5 */
  readonly minCapacity?: number;
  /** @default 2 */
  readonly maxCapacity?: number;
  /** @default 1 */
  readonly natGateways?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: RetentionDays;
}

export interface DatabaseAccessProps {
  /** Use an existing VPC and database. Exactly one of `existing` and `create` is required. */
  readonly existing?: ExistingDatabaseProps;
  /** Create a VPC and an Aurora Serverless v2 cluster. */
  readonly create?: CreatedDatabaseProps;
  /**
   * What happens to the cluster and its secret when the stack is deleted.
   * `RETAIN` also turns on deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The Postgres endpoint the functions connect to. */
export interface DatabaseEndpoint {
  readonly host: string;
  /** A number, or a token resolving to one (a created cluster's port). */
  readonly port: string;
  readonly databaseName: string;
}

/**
 * Everything a function needs to reach Postgres: network placement, the endpoint, and the IAM
 * grant to log in as one of the service's roles (db/service-roles.ts) with an IAM token. No
 * function reads a database password: the master credentials (of a created cluster) are for
 * running migrations only.
 *
 * Offline synthesis needs no lookups: an existing VPC is imported from explicit ids
 * (`Vpc.fromVpcAttributes`), never with `Vpc.fromLookup`.
 */
export class DatabaseAccess extends Construct {
  public readonly vpc: IVpc;
  public readonly network: FunctionNetwork;
  public readonly endpoint: DatabaseEndpoint;
  /** The master credentials of a created cluster (migrations only; no function is granted them). */
  public readonly masterSecret?: ISecret;
  /** The cluster, when this construct created one. */
  public readonly cluster?: DatabaseCluster;
  private readonly existingResourceId?: string;

  constructor(scope: Construct, id: string, props: DatabaseAccessProps) {
    super(scope, id);
    if (Boolean(props.existing) === Boolean(props.create)) {
      throw new Error('DatabaseAccess: set exactly one of `existing` and `create`');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    if (props.existing) {
      const existing = props.existing;
      this.vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: existing.vpcId,
        availabilityZones: existing.availabilityZones,
        privateSubnetIds: existing.privateSubnetIds,
      });
      Validations.of(this.vpc).acknowledge({
        id: '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        reason:
          'Functions are only placed in these subnets; nothing in the stack reads or changes their route tables.',
      });
      this.network = {
        vpc: this.vpc,
        vpcSubnets: { subnets: this.vpc.privateSubnets },
        securityGroups: existing.securityGroupIds.map((sgId, i) =>
          SecurityGroup.fromSecurityGroupId(this, `FunctionSecurityGroup${i}`, sgId, { mutable: false }),
        ),
      };
      this.endpoint = {
        host: existing.host,
        port: String(existing.port ?? 5432),
        databaseName: existing.databaseName,
      };
      this.existingResourceId = existing.resourceId;
      return;
    }

    const create = props.create ?? {};
    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: create.flowLogRetention ?? 30,
      removalPolicy,
    });
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: create.natGateways ?? 1,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'functions', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'database', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // S3 traffic (multipart uploads of every export) stays off the NAT gateway.
      gatewayEndpoints: { S3: { service: GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        all: {
          destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: FlowLogTrafficType.ALL,
        },
      },
    });
    this.vpc = vpc;

    const functionSecurityGroup = new SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc,
      description: 'Data export functions: outbound only',
      allowAllOutbound: true,
    });
    const databaseSecurityGroup = new SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc,
      description: 'Data export database: Postgres from the export functions only',
      allowAllOutbound: false,
    });

    const port = 5433;
    const retain = removalPolicy === RemovalPolicy.RETAIN;
    const cluster = new DatabaseCluster(this, 'Cluster', {
      engine: DatabaseClusterEngine.auroraPostgres({ version: AuroraPostgresEngineVersion.VER_16_6 }),
      writer: ClusterInstance.serverlessV2('Writer'),
      serverlessV2MinCapacity: create.minCapacity ?? 0.5,
      serverlessV2MaxCapacity: create.maxCapacity ?? 2,
      vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      securityGroups: [databaseSecurityGroup],
      port,
      credentials: Credentials.fromGeneratedSecret('export_service'),
      defaultDatabaseName: DATABASE_NAME,
      storageEncrypted: true,
      iamAuthentication: true,
      deletionProtection: retain,
      backup: { retention: Duration.days(retain ? 14 : 1) },
      removalPolicy: retain ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });
    databaseSecurityGroup.addIngressRule(
      functionSecurityGroup,
      Port.tcp(port),
      'Postgres from export functions',
    );
    this.cluster = cluster;
    this.masterSecret = cluster.secret;
    this.endpoint = {
      host: cluster.clusterEndpoint.hostname,
      port: String(port),
      databaseName: DATABASE_NAME,
    };
    this.network = {
      vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [functionSecurityGroup],
    };

    // On the cluster: `cluster.secret` is an attachment wrapper, not an ancestor of the CfnSecret.
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The master secret is used by hand for migrations only; no function reads it (they log in with IAM tokens), so rotating it is an operator task, not a runtime one.',
    });
    if (!retain) {
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'retainData is off for this stage (disposable dev data); stages that retain data turn deletion protection on.',
      });
    }
  }

  /**
   * Lets `grantee` log in as `user` with an IAM token (`rds-db:connect` on that user only). The
   * login itself, its grants and `rds_iam` are created by the migrations (db/service-roles.ts).
   */
  public grantConnect(grantee: IGrantable, user: string): Grant {
    if (this.cluster) return this.cluster.grantConnect(grantee, user);
    return Grant.addToPrincipal({
      grantee,
      actions: ['rds-db:connect'],
      resourceArns: [
        Stack.of(this).formatArn({
          service: 'rds-db',
          resource: 'dbuser',
          resourceName: `${this.existingResourceId}/${user}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
  }
}

/** Name of the database a created cluster holds. */
const DATABASE_NAME = 'learning';
