import { performance } from 'node:perf_hooks';
import { addCounts, describeCounts, redactDeep, redactText } from './redaction';

describe('redactText', () => {
  describe('payment cards', () => {
    it('hides card numbers written with spaces, dashes or nothing', () => {
      const { value, counts } = redactText(
        'Charged 4111 1111 1111 1111, then 5555-5555-5555-4444, then 378282246310005.',
      );
      expect(value).toBe('Charged [card], then [card], then [card].');
      expect(counts).toEqual({ card: 3 });
    });

    it('keeps a 16-digit order number that fails the Luhn check', () => {
      const text = 'Order 4111 1111 1111 1112 and 4929123456789011 never shipped';
      expect(redactText(text)).toEqual({ value: text, counts: {} });
    });

    it('keeps millisecond timestamps and long ids that cannot be card numbers', () => {
      const text = 'at 1715512345678, snowflake 1234567890123456789, trace 4111111111111111111111';
      expect(redactText(text).value).toBe(text);
    });
  });

  describe('secrets', () => {
    it('hides tokens and passwords in URL query strings but keeps the rest of the URL', () => {
      const { value, counts } = redactText(
        'Open https://app.example.com/cb?token=abc123XYZ&password=hunter2&next=/home and ' +
          'https://files.example.com/a.pdf?X-Amz-Signature=9f2c1e7a8b&sig=Zm9vYmFyMTIz&page=2',
      );
      expect(value).toBe(
        'Open https://app.example.com/cb?token=[password]&password=[password]&next=/home and ' +
          'https://files.example.com/a.pdf?X-Amz-Signature=[secret]&sig=[secret]&page=2',
      );
      expect(counts).toEqual({ password: 2, secret: 2 });
    });

    it('keeps short codes and words in query strings', () => {
      const text = 'https://app.example.com/error?code=404&key=name&sort=desc';
      expect(redactText(text).value).toBe(text);
    });

    it('hides basic-auth credentials in URLs, including a connection string', () => {
      const { value, counts } = redactText(
        'Fetched https://bob:s3cr3t@api.example.com/v1 and postgres://app:pa55w0rd@db.internal:5432/app',
      );
      expect(value).toBe(
        'Fetched https://[secret]@api.example.com/v1 and postgres://[secret]@db.internal:5432/app',
      );
      expect(value).not.toContain('bob');
      expect(counts).toEqual({ secret: 2 });
    });

    it('hides a JWT and a bearer token', () => {
      const jwt =
        'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
      expect(redactText(`session ${jwt} expired`).value).toBe('session [secret] expired');
      expect(redactText('Authorization: Bearer abc.def-ghi_123456').value).toBe(
        'Authorization: Bearer [secret]',
      );
    });

    it('keeps the words "Bearer" and "Basic" in prose', () => {
      const text = 'Basic authentication fails; Bearer tokens work';
      expect(redactText(text).value).toBe(text);
    });

    it('hides GitHub, OpenAI, Stripe, AWS, Google, Slack and Linear keys', () => {
      const keys = [
        'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
        'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
        'sk-proj-AbCdEf1234567890GhIjKlMn',
        'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
        'AKIAIOSFODNN7EXAMPLE',
        'AIzaSyA-1234567890abcdefghijklmnopqrstu',
        'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
        'lin_api_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
      ];
      const { value, counts } = redactText(`keys: ${keys.join(' , ')}`);
      expect(value).toBe(`keys: ${keys.map(() => '[secret]').join(' , ')}`);
      expect(counts).toEqual({ secret: keys.length });
    });

    it('hides a long random string but keeps commit SHAs, UUIDs and trace ids', () => {
      const text =
        'key Zx9Kq2Lm8Np4Rt6Vw1Yb3Cd5Ef7Gh0Jk in commit 9fceb02d0ae598e95dc970b74767f19372d61af8 ' +
        'for report 123e4567-e89b-12d3-a456-426614174000, event 4bf92f3577b34da6a3ce929d0e0e4736';
      const { value, counts } = redactText(text);
      expect(value).toBe(text.replace('Zx9Kq2Lm8Np4Rt6Vw1Yb3Cd5Ef7Gh0Jk', '[secret]'));
      expect(counts).toEqual({ secret: 1 });
    });

    it('keeps long file paths, slugs and identifiers', () => {
      const text =
        'src/components/ProjectSettings/IntegrationsPanel2.tsx order_2024_confirmation_email_v2_template_id';
      expect(redactText(text).value).toBe(text);
    });
  });

  describe('passwords', () => {
    it('replaces only the value and keeps the key in the common forms', () => {
      const { value, counts } = redactText(
        'password=hunter2\n{"password": "x y"}\nPassword: hunter2\nDB_PASSWORD=p@ss!\napi_key: "k3y"',
      );
      expect(value).toBe(
        'password=[password]\n{"password": "[password]"}\nPassword: [password]\nDB_PASSWORD=[password]\napi_key: "[password]"',
      );
      expect(value).not.toMatch(/hunter2|x y|p@ss|k3y/);
      expect(counts).toEqual({ password: 5 });
    });

    it('keeps keys that only look like credential names and empty or placeholder values', () => {
      const text =
        'bypass=yes max_tokens: 100 token_type: bearer {"password": null, "pwd": ""} password: ${DB_PASS}';
      expect(redactText(text)).toEqual({ value: text, counts: {} });
    });
  });

  describe('emails', () => {
    it('hides emails in quoted reply text and mailto links', () => {
      const { value, counts } = redactText(
        '> On Mon, Ana <ana@example.com> wrote:\n> contact <a href="mailto:Bob.Smith@corp.example.co.uk">us</a>',
      );
      expect(value).toBe(
        '> On Mon, Ana <[email]> wrote:\n> contact <a href="mailto:[email]">us</a>',
      );
      expect(counts).toEqual({ email: 2 });
    });

    it('keeps only the emails in keepEmails, compared case-insensitively', () => {
      const { value, counts } = redactText('From Ana@Example.com cc bob@example.com', {
        keepEmails: ['ana@example.COM'],
      });
      expect(value).toBe('From Ana@Example.com cc [email]');
      expect(counts).toEqual({ email: 1 });
    });

    it('keeps retina image names and git remotes', () => {
      const text = 'logo@2x.png failed to load from git@github.com:acme/web.git';
      expect(redactText(text).value).toBe(text);
    });
  });

  describe('phone numbers', () => {
    it('hides international and North American formats', () => {
      const { value, counts } = redactText(
        'Call +44 20 7946 0958, +1 (415) 555-2671, (415) 555-2671, 415-555-2671 or 415.555.2671.',
      );
      expect(value).toBe('Call [phone], [phone], [phone], [phone] or [phone].');
      expect(counts).toEqual({ phone: 5 });
    });

    it('keeps versions, dates, times, HTTP statuses and ids in URL paths', () => {
      const text =
        'Since v2.3.1 (build 20240512) on 2024-05-12 at 14:02:11 GET /projects/8812/settings ' +
        'returns 500, then 404; ticket 48213377123, +1 to this';
      expect(redactText(text)).toEqual({ value: text, counts: {} });
    });
  });

  describe('IP addresses', () => {
    it('hides IPv4 addresses but not versions or browser builds', () => {
      const { value, counts } = redactText(
        'From 192.168.1.20 and 10.0.0.1:8080, not v1.2.3.4 or 1.2.3.4.5 or Chrome/120.0.0.0',
      );
      expect(value).toBe('From [ip] and [ip]:8080, not v1.2.3.4 or 1.2.3.4.5 or Chrome/120.0.0.0');
      expect(counts).toEqual({ ip: 2 });
    });

    it('hides full and compressed IPv6 addresses but not times, MACs or code', () => {
      const { value, counts } = redactText(
        'peer 2001:db8::1 via fe80::1ff:fe23:4567:890a and 2001:0db8:85a3:0000:0000:8a2e:0370:7334 ' +
          'at 14:02:11, mac 00:1A:2B:3C:4D:5E, std::vector, ::',
      );
      expect(value).toBe(
        'peer [ip] via [ip] and [ip] at 14:02:11, mac 00:1A:2B:3C:4D:5E, std::vector, ::',
      );
      expect(counts).toEqual({ ip: 3 });
    });

    it('keeps loopback addresses, which identify nobody', () => {
      const text = 'listening on 127.0.0.1:3000 and [::1]:3000';
      expect(redactText(text).value).toBe(text);
    });

    it.each([
      'Signal 3.7.11.0 on Windows crashes on start',
      'Version 5.2.1.12 (Build 4411) shows a blank page',
      'Broken since v2.4.0.1, fine on 1.0.0.0',
      'Windows 10.0.19045.3803, app 2.1.0.3-beta',
      'Tag release-4.2.0.1 ships node_modules/foo/1.2.3.4/index.js',
      'Package com.example.app.v2 next to org.mozilla.firefox',
      'Ubuntu 22.04.3.1 with kernel 6.5.0.14',
      'The about box says Engine 9.4.210.17 (x64)',
      'After updating from 3.7.11.0 to 3.8.0.1 the sidebar is gone',
      'Tried 0.9.2.1, 0.9.3.0 and 0.12.100.3: all fail',
      'ver. 4.1.0.2 and build 7.200.1.5 both freeze',
    ])('keeps the version in %j', (text) => {
      expect(redactText(text)).toEqual({ value: text, counts: {} });
    });

    it.each([
      ['Open http://203.0.113.9:8080/x to see it', 'Open http://[ip]:8080/x to see it'],
      ['Requests to 34.5.6.7:443 time out', 'Requests to [ip]:443 time out'],
      ['We allow 10.1.0.0/16 and 45.6.7.0/24', 'We allow [ip]/16 and [ip]/24'],
      ['ssh deploy@34.5.6.7 works', 'ssh deploy@[ip] works'],
      ['The share \\\\23.4.5.6\\docs is empty', 'The share \\\\[ip]\\docs is empty'],
    ])('hides the address written as a network location in %j', (text, expected) => {
      expect(redactText(text).value).toBe(expected);
    });

    it.each([
      ["my server's IP is 52.14.7.201", "my server's IP is [ip]"],
      ['connect to 172.16.4.2 failed', 'connect to [ip] failed'],
      ['ping 8.8.8.8 answers, the app does not', 'ping [ip] answers, the app does not'],
      ['Our proxy sits at 45.6.7.8 now', 'Our proxy sits at [ip] now'],
      ['It says 34.5.6.7 is my address', 'It says [ip] is my address'],
      ['The name resolves to 23.4.5.6 here', 'The name resolves to [ip] here'],
      ['Login attempts came from 34.5.6.7', 'Login attempts came from [ip]'],
      ['connect to 34.5.6.7, 34.5.6.8 or 34.5.6.9', 'connect to [ip], [ip] or [ip]'],
    ])('hides the address the words around it name in %j', (text, expected) => {
      expect(redactText(text).value).toBe(expected);
    });

    it.each([
      ['Printer at 192.168.1.20', 'Printer at [ip]'],
      ['NAS 10.0.0.5 is offline', 'NAS [ip] is offline'],
      ['fallback 169.254.3.4 and carrier 100.64.2.3', 'fallback [ip] and carrier [ip]'],
      ['52.14.7.201', '[ip]'],
      ['Blocked 52.14.7.201 twice', 'Blocked [ip] twice'],
    ])('hides a private or large-numbered address with nothing saying version in %j', (t, e) => {
      expect(redactText(t).value).toBe(e);
    });

    it('hides the number when both network and version words surround it', () => {
      expect(redactText('the proxy build 34.5.6.7 rejected me').value).toBe(
        'the proxy build [ip] rejected me',
      );
    });

    it('keeps the version and hides the address in the same sentence', () => {
      const { value, counts } = redactText(
        "App 3.7.11.0 can't reach 192.168.0.4; connecting to 10.0.0.7 from Signal 3.7.11.0 hangs",
      );
      expect(value).toBe(
        "App 3.7.11.0 can't reach [ip]; connecting to [ip] from Signal 3.7.11.0 hangs",
      );
      expect(counts).toEqual({ ip: 2 });
    });

    it("keeps the version in the reporter's quoted words", () => {
      const { value } = redactText(
        '> "I\'m on Signal 3.7.11.0 and my IP is 52.14.7.201, please look into it"\nThanks!',
      );
      expect(value).toBe(
        '> "I\'m on Signal 3.7.11.0 and my IP is [ip], please look into it"\nThanks!',
      );
    });

    it('does not carry network words over a line break or into the next sentence', () => {
      const text = 'Host: example.com\nApp: 3.7.11.0\nI use a proxy. Signal 3.7.11.1 crashes';
      expect(redactText(text).value).toBe(text);
    });

    it('takes time in proportion to the length on long runs of digits and dots (no backtracking blow-up)', () => {
      // A wall-clock bound fails on a busy machine; how the time grows does not. Four times the
      // text takes about four times as long when each pass is linear, sixteen when quadratic:
      // the bound sits between them (best of five, as a loaded machine stretched best of three
      // to 8.9).
      const fastest = (text: string) => {
        let best = Infinity;
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          redactText(text);
          best = Math.min(best, performance.now() - started);
        }
        return best;
      };
      for (const unit of ['1.2.3.4.', '1.2.3.4 ', '10.0.0.1, ', '7']) {
        const small = unit.repeat(Math.ceil(250_000 / unit.length));
        const large = unit.repeat(Math.ceil(1_000_000 / unit.length));
        expect(fastest(large) / Math.max(fastest(small), 1)).toBeLessThan(11);
      }
    });
  });

  it('leaves an ordinary bug report unchanged', () => {
    const text = 'Clicking Save on /billing/8812 returns 500 since v2.3.1 at 14:02';
    expect(redactText(text)).toEqual({ value: text, counts: {} });
  });

  it('counts every kind found in one report', () => {
    const { value, counts } = redactText(
      'I am ana@example.com (+1 415-555-2671), paid with 4111111111111111 from 203.0.113.7, ' +
        'password: hunter2, key ghp_16C7e42F292c6912E7710c838347Ae178B4a; cc bob@example.com',
    );
    expect(counts).toEqual({ email: 2, phone: 1, card: 1, ip: 1, password: 1, secret: 1 });
    expect(value).not.toMatch(/ana@|555|4111|203\.0|hunter2|ghp_|bob@/);
  });
});

describe('redactDeep', () => {
  it('redacts strings in nested objects and arrays, leaving keys and other values alone', () => {
    const createdAt = new Date('2024-05-12T14:02:00Z');
    const input = {
      title: 'Save fails for ana@example.com',
      steps: ['Log in with password=hunter2', 'Click Save'],
      meta: { attempts: 3, ok: false, createdAt, ip: '203.0.113.7', nothing: null },
      credentials: { password: 'hunter2', apiKey: 'k' },
    };
    const { value, counts } = redactDeep(input);
    expect(value).toEqual({
      title: 'Save fails for [email]',
      steps: ['Log in with password=[password]', 'Click Save'],
      meta: { attempts: 3, ok: false, createdAt, ip: '[ip]', nothing: null },
      credentials: { password: '[password]', apiKey: '[password]' },
    });
    expect(value.meta.createdAt).toBe(createdAt);
    expect(counts).toEqual({ email: 1, password: 3, ip: 1 });
    expect(input.title).toBe('Save fails for ana@example.com');
  });

  it('hides small-number addresses under network keys but keeps versions elsewhere', () => {
    const { value, counts } = redactDeep({
      clientIp: '34.5.6.7',
      hosts: ['23.4.5.6'],
      'x-forwarded-for': '45.6.7.8',
      appVersion: '3.7.11.0',
      serverVersion: '3.7.11.1',
    });
    expect(value).toEqual({
      clientIp: '[ip]',
      hosts: ['[ip]'],
      'x-forwarded-for': '[ip]',
      appVersion: '3.7.11.0',
      serverVersion: '3.7.11.1',
    });
    expect(counts).toEqual({ ip: 3 });
  });

  it('passes keepEmails through to every string', () => {
    const { value } = redactDeep(['ana@example.com', { cc: 'bob@example.com' }], {
      keepEmails: ['ANA@example.com'],
    });
    expect(value).toEqual(['ana@example.com', { cc: '[email]' }]);
  });
});

describe('addCounts', () => {
  it('sums counts kind by kind', () => {
    expect(addCounts({ email: 1, card: 2 }, { email: 2, ip: 1 })).toEqual({
      email: 3,
      card: 2,
      ip: 1,
    });
    expect(addCounts({}, {})).toEqual({});
  });
});

describe('describeCounts', () => {
  it('summarises counts in a fixed order with plurals', () => {
    expect(describeCounts({ card: 1, email: 2 })).toBe('2 emails, 1 card');
    expect(describeCounts({ ip: 2, phone: 1, password: 1, secret: 3 })).toBe(
      '1 phone number, 3 secrets, 1 password, 2 IP addresses',
    );
  });

  it('is empty when nothing was redacted', () => {
    expect(describeCounts({})).toBe('');
    expect(describeCounts({ email: 0 })).toBe('');
  });
});
