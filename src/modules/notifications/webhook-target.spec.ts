import { ForbiddenTargetError, forbiddenRange, vetTarget } from './webhook-target';

describe('webhook targets (SSRF guard)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
  ])('refuses %s (%s)', (address, range) => {
    expect(forbiddenRange(address)).toBe(range);
  });

  it.each(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::ffff:8.8.8.8'])(
    'allows the public address %s',
    (address) => {
      expect(forbiddenRange(address)).toBeNull();
    },
  );

  it('refuses a name if any of its addresses is private, and accepts it with the setting', async () => {
    const lookup = () =>
      Promise.resolve([
        { address: '93.184.215.14', family: 4 as const },
        { address: '10.0.0.7', family: 4 as const },
      ]);
    await expect(vetTarget('https://hooks.example.com/x', false, lookup)).rejects.toThrow(
      /hooks\.example\.com resolves to 10\.0\.0\.7, which is a private address/,
    );
    await expect(vetTarget('https://hooks.example.com/x', true, lookup)).resolves.toEqual({
      address: '93.184.215.14',
      family: 4,
    });
  });

  it('returns the checked address to connect to, and refuses other schemes and unknown hosts', async () => {
    const lookup = () => Promise.resolve([{ address: '93.184.215.14', family: 4 as const }]);
    await expect(vetTarget('https://hooks.example.com/x', false, lookup)).resolves.toEqual({
      address: '93.184.215.14',
      family: 4,
    });
    await expect(vetTarget('ftp://hooks.example.com/x', true, lookup)).rejects.toThrow(
      ForbiddenTargetError,
    );
    await expect(vetTarget('not a url', true, lookup)).rejects.toThrow(ForbiddenTargetError);
    const nxdomain = () => Promise.reject(new Error('ENOTFOUND'));
    await expect(vetTarget('https://nowhere.invalid/', true, nxdomain)).rejects.toThrow(
      /does not resolve/,
    );
    // An IP literal is judged as written, without asking the DNS.
    await expect(vetTarget('http://[::ffff:7f00:1]/', false, nxdomain)).rejects.toThrow(/loopback/);
  });
});
