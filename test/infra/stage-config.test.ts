import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/handler-entries.js';
import { loadStageConfig, StageConfigError } from '../../lib/stage-config.js';
import { CDK_JSON_CONTEXT, EXISTING_DATABASE, stageContext } from './support/synth.js';

const reader = (context: Record<string, unknown>) => (key: string) => context[key];

function errorOf(context: Record<string, unknown>): string {
  try {
    loadStageConfig(reader(context));
  } catch (error) {
    expect(error).toBeInstanceOf(StageConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a StageConfigError');
}

describe('stage settings from context', () => {
  it('accepts the dev stage of cdk.json and fills stage-dependent defaults', () => {
    const config = loadStageConfig(reader(stageContext('dev')));

    expect(config.stage).toBe('dev');
    expect(config.retainData).toBe(false);
    expect(config.stackName).toBe('DataExport-dev');
    expect(config.database.mode).toBe('create');
  });

  it('accepts prod once the existing database ids are given, and retains its data', () => {
    const config = loadStageConfig(reader(stageContext('prod')));

    expect(config.retainData).toBe(true);
    expect(config.database).toEqual(EXISTING_DATABASE);
  });

  it('rejects an unknown stage, naming the valid ones', () => {
    const message = errorOf({ ...CDK_JSON_CONTEXT, stage: 'qa' });

    expect(message).toContain("Invalid context 'stage'");
    expect(message).toContain('dev, prod');
  });

  it('lists every missing key of the existing database of prod in cdk.json, with its context path', () => {
    const message = errorOf({ ...CDK_JSON_CONTEXT, stage: 'prod' });

    for (const key of [
      'vpcId',
      'availabilityZones',
      'privateSubnetIds',
      'securityGroupIds',
      'host',
      'databaseName',
      'resourceId',
    ]) {
      expect(message).toContain(`stages.prod.database.${key}`);
    }
  });

  it('rejects a resource id that is not one, because the connect grants would name nothing', () => {
    const context = stageContext('prod', (c) => {
      c.stages.prod = {
        ...c.stages.prod,
        database: { ...EXISTING_DATABASE, resourceId: 'learning-cluster' },
      };
    });

    expect(errorOf(context)).toContain('stages.prod.database.resourceId: expected an RDS resource id');
  });

  it('rejects export objects that expire before their emailed links', () => {
    const context = stageContext('dev', (c) => {
      const dev = c.stages.dev as { exports: Record<string, unknown> };
      dev.exports = { ...dev.exports, expirationDays: 1, linkTtlSeconds: 604_800 };
    });

    expect(errorOf(context)).toContain(
      'stages.dev.exports.expirationDays: objects would expire before their emailed links',
    );
  });

  it('rejects an SES identity that does not cover the sender address', () => {
    const context = stageContext('dev', (c) => {
      (c.stages.dev as { mail: unknown }).mail = { from: 'exports@example.com', identity: 'example.org' };
    });

    expect(errorOf(context)).toContain('stages.dev.mail.identity');
  });

  it('rejects subnets that do not match the availability zones one to one', () => {
    const context = stageContext('prod', (c) => {
      c.stages.prod = {
        ...c.stages.prod,
        database: { ...EXISTING_DATABASE, privateSubnetIds: ['subnet-0a1b2c3d4e5f60001'] },
      };
    });

    expect(errorOf(context)).toContain('stages.prod.database.privateSubnetIds');
  });
});

describe('bin/app.ts', () => {
  const runApp = (context: Record<string, unknown>) => {
    const outdir = mkdtempSync(join(tmpdir(), 'data-export-cdk-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    });
    return { ...result, outdir };
  };

  it('exits 1 with the list of bad keys, not a stack trace, when context is invalid', () => {
    const run = runApp({ ...CDK_JSON_CONTEXT, stage: 'prod' });
    rmSync(run.outdir, { recursive: true, force: true });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain("Invalid context for stage 'prod'");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('synthesises the dev stage with cdk-nag registered and writes its template', () => {
    const run = runApp({ ...stageContext('dev'), 'aws:cdk:bundling-stacks': [] });
    const templatePath = join(run.outdir, 'DataExport-dev.template.json');
    const written = existsSync(templatePath) ? JSON.parse(readFileSync(templatePath, 'utf8')) : undefined;
    rmSync(run.outdir, { recursive: true, force: true });

    expect(run.stderr).not.toContain('AwsSolutions');
    expect(run.status).toBe(0);
    expect(written?.Resources).toBeDefined();
  });
});
