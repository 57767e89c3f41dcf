import { lambdaSql } from '../../functions/platform/lambda-sql.js';

/**
 * Connects as a Lambda does in AWS (host name, TLS options of `lambdaSql`) and prints `ok` or the
 * error code. Run in a child process, because Node reads `NODE_EXTRA_CA_CERTS` only at start.
 * Usage: tls-probe <host> <port> <database> <user> <password>
 */
const [host = '', port = '', database = '', user = '', password = ''] = process.argv.slice(2);
const sql = lambdaSql({ host, port: Number(port), database, user, password: async () => password });
try {
  await sql`SELECT 1`;
  console.log('ok');
} catch (error) {
  const e = error as { code?: string; message?: string };
  console.log(`error ${e.code ?? ''} ${e.message ?? ''}`);
} finally {
  await sql.end({ timeout: 1 });
}
