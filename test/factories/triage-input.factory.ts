/** Small builders for the deterministic engine's specs. */
import type {
  ConversationTurn,
  FactKey,
  TriageInput,
} from '../../src/modules/triage/engine/triage.types';
import type { RecordingAnalysis } from '../../src/modules/recordings/analyzer/types';
import type { SentryAttachment } from '../../src/modules/sentry/sentry-attachment';

export function triageInput(overrides: Partial<TriageInput> = {}, description = ''): TriageInput {
  const input: TriageInput = {
    report: {
      id: 'rep_1',
      description,
      source: 'widget',
      pageUrl: null,
      pageTitle: null,
      userAgent: null,
      locale: null,
      timezone: null,
      viewport: null,
      createdAt: '2024-05-02T14:05:00.000Z',
    },
    reporter: { name: 'Ana Lima', email: null },
    account: null,
    analysis: null,
    sentryIssue: null,
    conversation: [],
    ...overrides,
  };
  return description ? { ...input, report: { ...input.report, description } } : input;
}

/** A recording: the reporter opens billing, edits the card, clicks Save, and the save fails. */
export function billingRecording(): RecordingAnalysis {
  const startedAt = Date.parse('2024-05-02T14:01:00.000Z');
  const save = { id: 9, tag: 'button', role: 'button', name: 'Save', selector: 'form button' };
  return {
    version: 1,
    startedAt,
    startUrl: 'https://app.example.com/settings/billing',
    timeline: [],
    steps: [
      { n: 1, t: 0, text: 'Opened https://app.example.com/settings/billing', count: 1 },
      { n: 2, t: 30_000, text: 'Typed in "Card number"', count: 1 },
      { n: 3, t: 62_000, text: 'Clicked "Save"', count: 1, target: save },
    ],
    errors: [],
    failedRequests: [
      {
        t: 62_400,
        method: 'POST',
        url: 'https://app.example.com/api/billing',
        status: 500,
        durationMs: 310,
      },
    ],
    signals: [],
    failure: {
      t: 62_400,
      url: 'https://app.example.com/settings/billing',
      reason: 'failed_request',
      text: 'POST /api/billing returned 500',
    },
    environment: {
      userAgent: 'Mozilla/5.0',
      browser: 'Chrome',
      browserVersion: '124.0.0.0',
      os: 'Windows',
      osVersion: '10',
      device: 'desktop',
      viewport: { width: 1440, height: 900 },
      locale: 'en-GB',
      timezone: 'UTC',
    },
    uninterpreted: [],
    stats: { events: 120, bytes: 4000, ms: 70_000 },
  };
}

export function sentryIssue(overrides: Partial<SentryAttachment> = {}): SentryAttachment {
  return {
    id: '42',
    shortId: 'WEB-42',
    title: "TypeError: Cannot read properties of undefined (reading 'plan')",
    permalink: 'https://sentry.example.com/issues/42/',
    culprit: 'src/billing/plan-card.tsx',
    events: 12,
    usersAffected: 3,
    firstSeen: '2024-05-01T09:00:00Z',
    lastSeen: '2024-05-02T14:02:00Z',
    release: 'web@3.4.1',
    environment: 'production',
    eventId: 'abc',
    frames: [],
    breadcrumbs: [],
    replayUrl: null,
    score: 0.9,
    reasons: ['same page'],
    ...overrides,
  };
}

export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

export function turn(keys: FactKey[], answer: string | null): ConversationTurn {
  return {
    questions: keys.map((k) => `Question about ${k}?`),
    keys,
    answer,
    askedAt: '2024-05-02T14:10:00.000Z',
    answeredAt: answer === null ? null : '2024-05-02T14:20:00.000Z',
  };
}

export const MAC_CHROME_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/**
 * A widget report as it reaches the engine (already redacted): a vague opening, then the click
 * and its symptom, sent from a report page whose URL holds an id.
 */
export function exportReport(
  description = 'export is broken. I click Export CSV on the reports page and nothing happens. my card [card] and email [email]',
  pageUrl: string | null = 'https://app.acme.com/reports/8812',
): TriageInput {
  const input = triageInput({}, description);
  return {
    ...input,
    report: { ...input.report, pageUrl, userAgent: MAC_CHROME_UA },
    reporter: { name: 'Ana Lima', email: 'ana@acme.com' },
  };
}
