import type { AuthenticateResult } from 'mailauth';
import { verdictOf } from './sender-auth';

type Result = 'pass' | 'fail' | 'softfail' | 'none' | 'temperror';

/** mailauth's result, reduced to what the verdict reads. */
function result(
  from: string,
  spf: Result,
  dmarc: Result,
  dkim: { result: Result; aligned: boolean } | null = null,
): AuthenticateResult {
  return {
    dkim: {
      headerFrom: [from],
      envelopeFrom: false,
      results: dkim
        ? [{ signingDomain: 'x', info: '', status: { result: dkim.result, aligned: dkim.aligned } }]
        : [],
    },
    spf: { domain: '', 'client-ip': '', header: '', info: '', status: { result: spf } },
    dmarc:
      dmarc === 'none'
        ? false
        : {
            domain: '',
            policy: 'reject',
            p: 'reject',
            sp: 'reject',
            info: '',
            status: { result: dmarc },
            alignment: {
              spf: { result: false, strict: false },
              dkim: { result: false, strict: false },
            },
          },
    arc: false,
    bimi: false,
    headers: '',
  };
}

const envelope = (mailFrom: string) => ({ ip: '198.51.100.7', helo: 'mx.test', mailFrom });

describe('verdictOf', () => {
  it('trusts DMARC pass, or a DKIM pass aligned with From even when SPF fails', () => {
    expect(
      verdictOf(result('a@staff.test', 'pass', 'pass'), envelope('a@staff.test')).trusted,
    ).toBe(true);
    const signed = result('a@staff.test', 'fail', 'none', { result: 'pass', aligned: true });
    expect(verdictOf(signed, envelope('bounce@relay.test')).trusted).toBe(true);
  });

  it('does not trust DMARC fail, SPF fail or softfail, or a DKIM pass for another domain', () => {
    expect(
      verdictOf(result('a@staff.test', 'pass', 'fail'), envelope('a@staff.test')).trusted,
    ).toBe(false);
    expect(
      verdictOf(result('a@staff.test', 'fail', 'none'), envelope('a@staff.test')).trusted,
    ).toBe(false);
    expect(
      verdictOf(result('a@staff.test', 'softfail', 'none'), envelope('a@staff.test')).trusted,
    ).toBe(false);
    const foreign = result('a@staff.test', 'softfail', 'none', { result: 'pass', aligned: false });
    expect(verdictOf(foreign, envelope('a@staff.test')).trusted).toBe(false);
  });

  it('does not let an envelope of another domain speak for From (SPF pass for the attacker)', () => {
    const verdict = verdictOf(
      result('boss@staff.test', 'pass', 'none'),
      envelope('x@attacker.test'),
    );
    expect(verdict).toMatchObject({ trusted: false, retry: false });
  });

  it('trusts an aligned sender whose domain publishes nothing to check, and asks to retry on DNS errors', () => {
    expect(
      verdictOf(result('a@staff.test', 'none', 'none'), envelope('a@mail.staff.test')).trusted,
    ).toBe(true);
    expect(
      verdictOf(result('a@staff.test', 'temperror', 'none'), envelope('a@staff.test')),
    ).toMatchObject({
      trusted: false,
      retry: true,
    });
  });
});
