import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/platform/config.js';
import { databaseConnection, postgresOptions } from '../../../functions/platform/lambda-sql.js';

const AWS_ENV = {
  EXPORT_BUCKET: 'exports-bucket',
  JWT_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
  JWT_ISSUER: 'https://idp.example.com/',
  DATABASE_HOST: 'learning.cluster-cabc123.eu-west-1.rds.amazonaws.com',
  DATABASE_PORT: '5433',
  DATABASE_NAME: 'learning',
  DATABASE_USER: 'data_export_api',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00',
  AWS_SECRET_ACCESS_KEY: 'secret-example-secret-example-secret-0000',
};

describe('database connection in AWS', () => {
  it('logs in as the function role with a fresh IAM token, never a stored password', async () => {
    const previous = { ...process.env };
    Object.assign(process.env, AWS_ENV);
    try {
      const options = postgresOptions(databaseConnection(loadConfig(AWS_ENV)));

      expect(options).toMatchObject({ host: AWS_ENV.DATABASE_HOST, port: 5433, database: 'learning' });
      expect(options.username).toBe('data_export_api');
      const password = options.password as () => Promise<string>;
      const token = await password();
      expect(token).toMatch(
        /^learning\.cluster-cabc123\.eu-west-1\.rds\.amazonaws\.com:5433\/\?Action=connect&DBUser=data_export_api&.*X-Amz-Signature=/,
      );
    } finally {
      process.env = previous;
    }
  });

  it('verifies the server certificate and host name (sslmode=require would accept any certificate)', () => {
    const options = postgresOptions(databaseConnection(loadConfig(AWS_ENV)));

    expect(options.ssl).toBe('verify-full');
  });

  it('refuses a configuration with neither a URL nor a host and login', () => {
    const { DATABASE_USER: _, ...withoutUser } = AWS_ENV;

    expect(() => loadConfig(withoutUser)).toThrow(/DATABASE_URL/);
  });
});
