import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK, type LocalAws, startLocalAws } from '../../local/local-aws.js';

/** Resolves whether a TCP connection to host:port is accepted. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const externalAddresses = Object.values(os.networkInterfaces())
  .flat()
  .filter((a): a is os.NetworkInterfaceInfo => !!a && a.family === 'IPv4' && !a.internal)
  .map((a) => a.address);

describe('local S3/SQS emulator', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startLocalAws();
  });
  afterAll(async () => {
    await aws.stop();
  });

  it('listens on the loopback interface only, since it has no authentication', async () => {
    expect(new URL(aws.endpoint).hostname).toBe(LOOPBACK);
    expect(await connects(LOOPBACK, aws.port)).toBe(true);
    for (const address of externalAddresses) {
      expect(await connects(address, aws.port), `reachable on ${address}`).toBe(false);
    }
  });
});
