import type { TriageDecision, TriagePolicy, TicketProposal } from '../triage/engine/triage.types';
import {
  approvalNeeded,
  DEFAULT_POLICY,
  policyDefaults,
  policySchema,
  resolvePolicy,
} from './policy';

function ticket(overrides: Partial<TicketProposal> = {}): TicketProposal {
  return {
    title: 'Save fails with 500 on /settings/billing',
    summary: 'Clicking Save returns 500',
    steps: ['Open billing', 'Click Save'],
    expected: 'The card is saved',
    actual: 'An error toast',
    severity: 'medium',
    labels: ['bug'],
    ...overrides,
  };
}

const file = (confidence = 0.9, overrides: Partial<TicketProposal> = {}): TriageDecision => ({
  kind: 'file',
  ticket: ticket(overrides),
  confidence,
  reason: 'complete',
});

const duplicate = (confidence = 0.9): TriageDecision => ({
  kind: 'duplicate',
  target: 'ENG-42',
  ticket: ticket(),
  confidence,
  reason: 'same failure',
});

const policy = (overrides: Partial<TriagePolicy> = {}): TriagePolicy => ({
  ...DEFAULT_POLICY,
  ...overrides,
});

describe('approvalNeeded', () => {
  it('lets a confident, ordinary decision through', () => {
    expect(approvalNeeded(policy(), file(), null)).toBeNull();
    expect(approvalNeeded(policy(), duplicate(), 'free')).toBeNull();
  });

  it('lets an urgent report through by default: it reaches engineers at once', () => {
    expect(DEFAULT_POLICY.approvalSeverities).toEqual([]);
    expect(approvalNeeded(policy(), file(0.9, { severity: 'urgent' }), null)).toBeNull();
  });

  it('holds a severity the policy lists', () => {
    expect(
      approvalNeeded(
        policy({ approvalSeverities: ['urgent'] }),
        file(0.9, { severity: 'urgent' }),
        null,
      ),
    ).toBe("Severity urgent needs a person's approval");
    const strict = policy({ approvalSeverities: ['urgent', 'high'] });
    expect(approvalNeeded(strict, file(0.9, { severity: 'high' }), null)).toContain('high');
    expect(approvalNeeded(strict, file(0.9, { severity: 'low' }), null)).toBeNull();
    expect(
      approvalNeeded(policy({ approvalSeverities: [] }), file(0.9, { severity: 'urgent' }), null),
    ).toBeNull();
  });

  it('holds a listed account tier, whatever its case or spacing', () => {
    const tiers = policy({ approvalTiers: ['Enterprise', 'gold'] });
    expect(approvalNeeded(tiers, file(), 'enterprise')).toBe(
      "Reports from enterprise accounts need a person's approval",
    );
    expect(approvalNeeded(tiers, file(), ' GOLD ')).toContain('GOLD');
    expect(approvalNeeded(tiers, duplicate(), 'ENTERPRISE')).not.toBeNull();
    expect(approvalNeeded(tiers, file(), 'free')).toBeNull();
    expect(approvalNeeded(tiers, file(), null)).toBeNull();
    expect(approvalNeeded(tiers, file(), '  ')).toBeNull();
  });

  it('holds a decision whose confidence is below the threshold, and not one at it', () => {
    const p = policy({ autoFileThreshold: 0.7 });
    expect(approvalNeeded(p, file(0.69), null)).toBe(
      'Confidence 0.69 is below the auto-file threshold 0.7',
    );
    expect(approvalNeeded(p, duplicate(0.4), null)).toContain('below the auto-file threshold');
    expect(approvalNeeded(p, file(0.7), null)).toBeNull();
  });

  it('holds filing or merging when the policy does not allow the tool', () => {
    const noFiling = policy({
      allowedTools: DEFAULT_POLICY.allowedTools.filter((t) => t !== 'file_ticket'),
    });
    expect(approvalNeeded(noFiling, file(), null)).toBe(
      'The policy does not let the agent use file_ticket alone',
    );
    expect(approvalNeeded(noFiling, duplicate(), null)).toBeNull();
    const noMerging = policy({
      allowedTools: DEFAULT_POLICY.allowedTools.filter((t) => t !== 'mark_duplicate'),
    });
    expect(approvalNeeded(noMerging, duplicate(), null)).toBe(
      'The policy does not let the agent use mark_duplicate alone',
    );
    expect(approvalNeeded(noMerging, file(), null)).toBeNull();
  });

  it('never holds asking or escalating, however strict the policy', () => {
    const strictest = policy({
      approvalSeverities: ['urgent', 'high', 'medium', 'low'],
      approvalTiers: ['enterprise'],
      autoFileThreshold: 1,
      allowedTools: [],
    });
    const ask: TriageDecision = {
      kind: 'ask',
      questions: [{ key: 'steps', text: 'What did you do?' }],
      reason: 'no steps',
    };
    const escalate: TriageDecision = {
      kind: 'escalate',
      ticket: ticket({ severity: 'urgent' }),
      reason: 'unsure',
    };
    expect(approvalNeeded(strictest, ask, 'enterprise')).toBeNull();
    expect(approvalNeeded(strictest, escalate, 'enterprise')).toBeNull();
  });
});

describe('resolvePolicy', () => {
  it("lays a project's own settings over the defaults and keeps the rest", () => {
    const defaults = policy({ maxQuestions: 5, approvalTiers: ['gold'] });
    expect(resolvePolicy({ maxQuestions: 1, allowReporterEmail: true }, defaults)).toEqual({
      ...defaults,
      maxQuestions: 1,
      allowReporterEmail: true,
    });
    expect(resolvePolicy({ approvalTiers: [] }, defaults).approvalTiers).toEqual([]);
  });

  it('gives the defaults when the project sets nothing', () => {
    expect(resolvePolicy(null)).toEqual(DEFAULT_POLICY);
    expect(resolvePolicy(undefined)).toEqual(DEFAULT_POLICY);
    expect(resolvePolicy({})).toEqual(DEFAULT_POLICY);
    const defaults = policy({ autoFileThreshold: 0.8 });
    expect(resolvePolicy(null, defaults)).toEqual(defaults);
  });
});

describe('policySchema', () => {
  it('accepts a partial policy and every setting at its bounds', () => {
    expect(policySchema.parse({})).toEqual({});
    const full = {
      autoFileThreshold: 1,
      approvalSeverities: ['urgent', 'high', 'medium', 'low'],
      approvalTiers: [' enterprise '],
      maxQuestions: 10,
      allowedTools: ['ask_reporter'],
      allowReporterEmail: true,
      onClarifyTimeout: 'needs_human',
    };
    expect(policySchema.parse(full)).toEqual({ ...full, approvalTiers: ['enterprise'] });
    expect(policySchema.parse({ maxQuestions: 0, autoFileThreshold: 0 })).toEqual({
      maxQuestions: 0,
      autoFileThreshold: 0,
    });
  });

  it('rejects unknown settings', () => {
    const result = policySchema.safeParse({ maxQuestion: 2 });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('maxQuestion');
  });

  it.each([
    ['maxQuestions', -1],
    ['maxQuestions', 11],
    ['maxQuestions', 1.5],
    ['maxQuestions', '2'],
    ['autoFileThreshold', 1.1],
    ['autoFileThreshold', -0.1],
    ['approvalSeverities', ['critical']],
    ['approvalSeverities', 'urgent'],
    ['approvalTiers', ['']],
    ['approvalTiers', ['   ']],
    ['allowedTools', ['delete_everything']],
    ['allowReporterEmail', 'yes'],
    ['onClarifyTimeout', 'wait'],
  ])('rejects %s = %j, naming the setting', (key, value) => {
    const result = policySchema.safeParse({ [key]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path[0]).toBe(key);
  });
});

describe('policyDefaults', () => {
  it("maps the operator's AGENT_* settings and keeps the rest of the built-in defaults", () => {
    expect(
      policyDefaults({
        AGENT_AUTO_FILE_THRESHOLD: 0.8,
        AGENT_APPROVAL_SEVERITIES: ['urgent', 'high'],
        AGENT_APPROVAL_TIERS: ['enterprise'],
        AGENT_MAX_QUESTIONS: 2,
        AGENT_ON_CLARIFY_TIMEOUT: 'needs_human',
      }),
    ).toEqual({
      autoFileThreshold: 0.8,
      approvalSeverities: ['urgent', 'high'],
      approvalTiers: ['enterprise'],
      maxQuestions: 2,
      allowedTools: DEFAULT_POLICY.allowedTools,
      allowReporterEmail: false,
      onClarifyTimeout: 'needs_human',
      questionHints: {},
    });
  });
});
