import {
  decidePriority,
  describePriority,
  FLOOD_ACCOUNTS,
  HIGH_REVENUE,
  higherSeverity,
  isHigherPriority,
  isHighTier,
  largerSentry,
  MANY_ACCOUNTS,
  MANY_REPORTS,
  type PriorityInput,
  SENTRY_MANY_EVENTS,
  SENTRY_MANY_USERS,
  strongerAccount,
} from './priority';

const input = (overrides: Partial<PriorityInput> = {}): PriorityInput => ({
  severity: 'medium',
  account: null,
  reports: 1,
  accounts: 1,
  sentry: null,
  ...overrides,
});

describe('decidePriority', () => {
  it('is the severity when nothing else stands out, and says so', () => {
    expect(decidePriority(input({ severity: 'high' }))).toEqual({
      level: 'high',
      reasons: ['Severity high'],
    });
    expect(decidePriority(input({ severity: 'low' })).level).toBe('low');
  });

  it('says what the severity rests on when the engine said', () => {
    expect(
      decidePriority(input({ severity: 'high', severityWhy: 'words: crash' })).reasons,
    ).toEqual(['Severity high (words: crash)']);
  });

  it('assumes medium when nobody assessed the severity, and says it assumed', () => {
    const priority = decidePriority(input({ severity: null }));
    expect(priority.level).toBe('medium');
    expect(priority.reasons[0]).toBe('Severity not assessed (medium assumed)');
  });

  it('raises one step for a paying tier, naming the tier and revenue', () => {
    const priority = decidePriority(input({ account: { tier: 'enterprise', revenue: 250_000 } }));
    expect(priority.level).toBe('high');
    expect(priority.reasons).toEqual(['Severity medium', 'Enterprise account (revenue 250,000)']);
  });

  it('raises one step for a large revenue on an unknown tier, but not twice for tier and revenue', () => {
    expect(
      decidePriority(input({ account: { tier: null, revenue: HIGH_REVENUE } })).reasons[1],
    ).toBe('Large account (revenue 100,000)');
    expect(
      decidePriority(input({ severity: 'low', account: { tier: 'Business', revenue: 900_000 } }))
        .level,
    ).toBe('medium');
  });

  it('does not raise for free, trial or starter accounts of modest revenue', () => {
    for (const tier of ['free', 'Trial', 'Starter plan', 'Pro trial']) {
      expect(decidePriority(input({ account: { tier, revenue: 1_000 } })).level).toBe('medium');
    }
  });

  it('raises one step when many reports or accounts share the bug, two for a flood', () => {
    const many = decidePriority(input({ reports: MANY_REPORTS - 1, accounts: MANY_ACCOUNTS }));
    expect(many.level).toBe('high');
    expect(many.reasons).toContain(`${MANY_REPORTS - 1} reports from ${MANY_ACCOUNTS} accounts`);
    expect(decidePriority(input({ reports: MANY_REPORTS, accounts: 1 })).level).toBe('high');
    expect(decidePriority(input({ reports: 2, accounts: 2 })).level).toBe('medium');
    expect(
      decidePriority(input({ severity: 'low', reports: FLOOD_ACCOUNTS, accounts: FLOOD_ACCOUNTS }))
        .level,
    ).toBe('high');
    expect(
      decidePriority(input({ severity: 'medium', reports: 12, accounts: FLOOD_ACCOUNTS })).level,
    ).toBe('urgent');
  });

  it('raises one step for a Sentry issue many users or events hit', () => {
    const priority = decidePriority(input({ sentry: { usersAffected: 35, events: 120 } }));
    expect(priority.level).toBe('high');
    expect(priority.reasons).toContain('Sentry: 120 events, 35 users');
    expect(
      decidePriority(input({ sentry: { usersAffected: null, events: SENTRY_MANY_EVENTS } })).level,
    ).toBe('high');
    expect(
      decidePriority(input({ sentry: { usersAffected: SENTRY_MANY_USERS - 1, events: 10 } })),
    ).toEqual({ level: 'medium', reasons: ['Severity medium'] });
  });

  it('never goes above urgent however much adds up', () => {
    const priority = decidePriority(
      input({
        severity: 'high',
        account: { tier: 'premium', revenue: 5_000_000 },
        reports: 40,
        accounts: 30,
        sentry: { usersAffected: 900, events: 9_000 },
      }),
    );
    expect(priority.level).toBe('urgent');
    expect(priority.reasons).toHaveLength(4);
  });

  it('holds a cosmetic low at medium for a big account, until many report it', () => {
    const held = decidePriority(
      input({
        severity: 'low',
        account: { tier: 'enterprise', revenue: 1_000_000 },
        sentry: { usersAffected: 100, events: 1_000 },
      }),
    );
    expect(held.level).toBe('medium');
    expect(held.reasons.at(-1)).toMatch(/stays at most medium/);
    const many = decidePriority(
      input({
        severity: 'low',
        account: { tier: 'enterprise', revenue: 1_000_000 },
        reports: MANY_REPORTS,
        accounts: MANY_ACCOUNTS,
      }),
    );
    expect(many.level).toBe('high');
  });

  it('describes itself in one line for comments and logs', () => {
    expect(
      describePriority(decidePriority(input({ account: { tier: 'pro', revenue: null } }))),
    ).toBe('high (Severity medium; Pro account)');
  });
});

describe('priority helpers', () => {
  it('orders levels, missing below low', () => {
    expect(isHigherPriority('urgent', 'high')).toBe(true);
    expect(isHigherPriority('high', 'high')).toBe(false);
    expect(isHigherPriority('low', null)).toBe(true);
    expect(higherSeverity('low', 'high')).toBe('high');
    expect(higherSeverity(null, 'low')).toBe('low');
  });

  it('recognises paying tiers by name, not free ones', () => {
    expect(['Enterprise', 'business', 'Pro', 'premium', 'Paid'].every(isHighTier)).toBe(true);
    expect(['free', 'trial', 'starter', 'Enterprise trial', '', null].some(isHighTier)).toBe(false);
  });

  it('keeps the account and Sentry counts that weigh most', () => {
    const free = { tier: 'free', revenue: 500_000 };
    const pro = { tier: 'pro', revenue: 200_000 };
    expect(strongerAccount(free, pro)).toBe(pro);
    expect(strongerAccount(null, free)).toBe(free);
    expect(
      largerSentry({ usersAffected: 3, events: null }, { usersAffected: 1, events: 40 }),
    ).toEqual({ usersAffected: 3, events: 40 });
  });
});
