import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  forbiddenAddressReason,
  parseWebhookUrl,
  resolveWebhookTarget,
} from '../../../functions/domain/webhooks/webhook-url.js';
import { FixedResolver } from '../../support/webhook-fakes.js';

const AWS = { allowLoopback: false };
const LOCAL = { allowLoopback: true };
const v4 = (address: string) => ({ address, family: 4 as const });
const v6 = (address: string) => ({ address, family: 6 as const });

describe('webhook addresses (SSRF)', () => {
  it.each([
    v4('169.254.169.254'),
    v4('10.0.0.1'),
    v4('172.16.5.4'),
    v4('192.168.1.1'),
    v4('100.64.0.1'),
    v4('0.0.0.0'),
    v4('127.0.0.1'),
    v4('224.0.0.1'),
    v4('255.255.255.255'),
    v6('::1'),
    v6('::'),
    v6('fd00:ec2::254'),
    v6('fe80::1'),
    v6('::ffff:169.254.169.254'),
    v6('::ffff:a00:1'),
    v6('64:ff9b::a00:1'),
    v6('2002:a00:1::'),
  ])('refuses $address in AWS mode', (address) => {
    expect(forbiddenAddressReason(address, AWS)).toBeDefined();
  });

  it.each([v4('93.184.215.14'), v4('8.8.8.8'), v6('2606:4700:4700::1111')])(
    'allows the public $address',
    (address) => {
      expect(forbiddenAddressReason(address, AWS)).toBeUndefined();
    },
  );

  it('allows loopback, and only loopback, where the local runtime asks for it', () => {
    expect(forbiddenAddressReason(v4('127.0.0.1'), LOCAL)).toBeUndefined();
    expect(forbiddenAddressReason(v6('::1'), LOCAL)).toBeUndefined();
    expect(forbiddenAddressReason(v4('10.0.0.1'), LOCAL)).toBeDefined();
    expect(forbiddenAddressReason(v4('169.254.169.254'), LOCAL)).toBeDefined();
  });
});

describe('webhook URLs', () => {
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error instanceof ValidationError ? error.issues : error;
    }
    return undefined;
  };

  it('requires https in AWS mode and allows http locally', () => {
    expect(refusal(() => parseWebhookUrl('http://hooks.example.com/x', AWS))).toEqual([
      { field: 'url', message: 'must use https:' },
    ]);
    expect(parseWebhookUrl('http://127.0.0.1:8080/x', LOCAL).host).toBe('127.0.0.1:8080');
  });

  it('refuses credentials, other schemes and what is no URL', () => {
    for (const url of ['https://user:pw@hooks.example.com/', 'ftp://hooks.example.com/', 'not a url']) {
      expect(
        refusal(() => parseWebhookUrl(url, AWS)),
        url,
      ).toEqual([{ field: 'url', message: expect.any(String) }]);
    }
  });

  it('refuses a host name with any private address among its addresses, and one that does not resolve', async () => {
    const resolver = new FixedResolver({
      'mixed.example.com': [v4('93.184.215.14'), v4('10.1.2.3')],
      'public.example.com': [v4('93.184.215.14')],
    });

    await expect(resolveWebhookTarget(new URL('https://mixed.example.com/'), resolver, AWS)).rejects.toThrow(
      /resolves to 10\.1\.2\.3/,
    );
    await expect(
      resolveWebhookTarget(new URL('https://nowhere.example.com/'), resolver, AWS),
    ).rejects.toThrow(/does not resolve/);
    await expect(
      resolveWebhookTarget(new URL('https://public.example.com/'), resolver, AWS),
    ).resolves.toEqual(v4('93.184.215.14'));
    await expect(resolveWebhookTarget(new URL('https://[::ffff:a9fe:a9fe]/'), resolver, AWS)).rejects.toThrow(
      ValidationError,
    );
  });
});
