import type {
  TriagePolicy,
  TriageToolHost,
  ConversationTurn,
  SentryIssueSummary,
  SimilarIssue,
  TriageInput,
} from '../../src/modules/triage/engine/triage.types';
import { LlmEngine } from '../../src/modules/triage/engine/llm/llm-engine';
import { OpenAiClient } from '../../src/integrations/openai/openai.client';
import { DEFAULT_POLICY } from '../../src/modules/projects/policy';
import type { SentryAttachment } from '../../src/modules/sentry/sentry-attachment';
import { FakeOpenAi, type ChatRequestView } from '../fakes/openai.server';

const MODEL = 'gpt-4.1-mini';

function reportInput(description: string, overrides: Partial<TriageInput> = {}): TriageInput {
  return {
    report: {
      id: null,
      description,
      source: 'widget',
      pageUrl: 'https://app.acme.example/billing',
      pageTitle: 'Billing',
      userAgent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      locale: 'en-GB',
      timezone: 'Europe/London',
      viewport: { width: 1440, height: 900 },
      createdAt: '2025-05-02T14:03:00.000Z',
    },
    reporter: { name: 'Dana', email: null },
    account: { name: 'Acme', tier: 'pro' },
    analysis: null,
    sentryIssue: null,
    conversation: [],
    ...overrides,
  };
}

const SENTRY_SUMMARY: SentryIssueSummary = {
  id: '4501',
  shortId: 'WEB-1F',
  title: "TypeError: Cannot read properties of undefined (reading 'total')",
  culprit: 'billing/InvoicePanel',
  events: 212,
  lastSeen: '2025-05-02T14:02:11.000Z',
  permalink: 'https://sentry.example/issues/4501/',
};

const SENTRY_ISSUE: SentryAttachment = {
  ...SENTRY_SUMMARY,
  usersAffected: 37,
  firstSeen: '2025-04-30T09:00:00.000Z',
  release: 'web@3.14.0',
  environment: 'production',
  eventId: 'e1',
  frames: ['src/billing/InvoicePanel.tsx:88 renderTotals'],
  breadcrumbs: [
    { at: '2025-05-02T14:02:10.000Z', category: 'xhr', message: 'GET /api/invoices → 200' },
  ],
  replayUrl: null,
  score: 0.9,
  reasons: ['same page'],
};

const SIMILAR: SimilarIssue = {
  key: 'ENG-42',
  title: 'Invoice totals crash the billing page',
  url: 'https://linear.example/ENG-42',
  score: 0.93,
  reasons: ['same error text'],
};

/** Sentry and the open-issue search, in memory. */
class MemoryHost implements TriageToolHost {
  readonly queries: string[] = [];
  searchSentry(query: string): Promise<SentryIssueSummary[]> {
    this.queries.push(`sentry:${query}`);
    return Promise.resolve([SENTRY_SUMMARY]);
  }
  getSentryIssue(id: string): Promise<SentryAttachment | null> {
    return Promise.resolve(
      id === SENTRY_ISSUE.id || id === SENTRY_ISSUE.shortId ? SENTRY_ISSUE : null,
    );
  }
  searchSimilarIssues(query: string): Promise<SimilarIssue[]> {
    this.queries.push(`similar:${query}`);
    return Promise.resolve([SIMILAR]);
  }
}

const FILE_ARGS = {
  title: 'Billing page crashes when opening an invoice',
  summary: 'Opening an invoice on /billing throws a TypeError in InvoicePanel (WEB-1F).',
  steps: ['Open /billing', 'Click an invoice'],
  expected: 'The invoice opens',
  actual: 'The page goes blank',
  severity: 'high',
  labels: ['bug', 'billing'],
  confidence: 0.86,
  reason: 'Sentry WEB-1F matches the page and time',
};

/** The tool results the model has been sent so far, parsed. */
function toolResults(request: ChatRequestView): Record<string, unknown>[] {
  return request.messages
    .filter((m) => m.role === 'tool')
    .map(
      (m) =>
        JSON.parse(String(m.content).replace(/…\[cut \d+ chars\]$/, '')) as Record<string, unknown>,
    );
}

describe('LLM triage engine against an OpenAI-compatible server', () => {
  const openai = new FakeOpenAi();
  let client: OpenAiClient;
  let host: MemoryHost;
  const policy: TriagePolicy = { ...DEFAULT_POLICY };

  beforeAll(async () => {
    await openai.start();
    client = new OpenAiClient({
      apiKey: openai.apiKey,
      baseUrl: openai.baseUrl,
      maxRetries: 2,
      timeoutMs: 5000,
    });
  });
  afterAll(() => openai.stop());
  beforeEach(() => {
    openai.resetChat();
    host = new MemoryHost();
  });
  afterEach(() => expect(openai.chatScriptLeft()).toBe(0));

  const engine = (options: { maxSteps?: number; tokenBudget?: number } = {}) =>
    new LlmEngine(client, { model: MODEL, ...options });

  it('checks Sentry and asks the reporter, then files a structured ticket once they answer', async () => {
    const description = 'Billing is broken, I click an invoice and nothing works!!';
    openai.scriptChat(
      { toolCall: { name: 'search_sentry', arguments: { query: 'billing invoice TypeError' } } },
      (request) => {
        // The model sees what Sentry returned before it asks.
        expect(toolResults(request)[0]).toMatchObject({ issues: [{ shortId: 'WEB-1F' }] });
        return {
          toolCall: {
            name: 'ask_reporter',
            arguments: {
              questions: [
                'When you clicked the invoice, did the page go blank or show an error?',
                'Does it happen for every invoice?',
              ],
              reason: 'Sentry shows a TypeError on /billing but not what the reporter saw',
            },
          },
        };
      },
    );
    const first = await engine().run(reportInput(description), policy, host);

    expect(first.engine).toBe('llm');
    expect(first.fallbackReason).toBeUndefined();
    expect(first.decision).toMatchObject({
      kind: 'ask',
      reason: 'Sentry shows a TypeError on /billing but not what the reporter saw',
    });
    expect(first.decision.kind === 'ask' && first.decision.questions.map((q) => q.text)).toEqual([
      'When you clicked the invoice, did the page go blank or show an error?',
      'Does it happen for every invoice?',
    ]);
    expect(host.queries).toEqual(['sentry:billing invoice TypeError']);
    expect(first.trace.map((s) => s.tool)).toEqual([
      'model',
      'search_sentry',
      'model',
      'ask_reporter',
    ]);

    const turn: ConversationTurn = {
      questions: first.decision.kind === 'ask' ? first.decision.questions.map((q) => q.text) : [],
      answer: 'It goes blank. Every invoice, since this morning.',
      askedAt: '2025-05-02T14:05:00.000Z',
      answeredAt: '2025-05-02T14:20:00.000Z',
    };
    openai.scriptChat(
      (request) => {
        // The reporter's answer reaches the model with the report.
        expect(String(request.messages[1].content)).toContain('It goes blank. Every invoice');
        return { toolCall: { name: 'get_sentry_issue', arguments: { id: 'WEB-1F' } } };
      },
      (request) => {
        expect(toolResults(request)[0]).toMatchObject({ release: 'web@3.14.0', usersAffected: 37 });
        return { toolCall: { name: 'file_ticket', arguments: FILE_ARGS } };
      },
    );
    const second = await engine().run(
      reportInput(description, { conversation: [turn] }),
      policy,
      host,
    );

    expect(second.engine).toBe('llm');
    expect(second.decision).toEqual({
      kind: 'file',
      ticket: {
        title: FILE_ARGS.title,
        summary: FILE_ARGS.summary,
        steps: FILE_ARGS.steps,
        expected: FILE_ARGS.expected,
        actual: FILE_ARGS.actual,
        severity: 'high',
        labels: ['bug', 'billing'],
      },
      confidence: 0.86,
      reason: FILE_ARGS.reason,
    });
    expect(second.facts).toBeDefined();
    expect(second.usage.prompt).toBeGreaterThan(0);
  });

  it('never asks more questions than the policy leaves', async () => {
    const asked: ConversationTurn = {
      questions: ['What did you click?', 'Which browser?'],
      answer: 'The Pay button, Safari',
      askedAt: '2025-05-02T14:05:00.000Z',
      answeredAt: '2025-05-02T14:06:00.000Z',
    };
    openai.scriptChat({
      toolCall: {
        name: 'ask_reporter',
        arguments: {
          questions: ['Does it happen every time?', 'Any error?', 'Which plan?'],
          reason: 'gaps',
        },
      },
    });
    const result = await engine().run(
      reportInput('Pay does nothing', { conversation: [asked] }),
      { ...policy, maxQuestions: 3 },
      host,
    );
    expect(result.decision.kind === 'ask' && result.decision.questions.map((q) => q.text)).toEqual([
      'Does it happen every time?',
    ]);
    expect(String(openai.chatRequests()[0].messages[1].content)).toContain('"questionsLeft":1');
  });

  it('marks a duplicate of an open issue found by the similar-issue search', async () => {
    openai.scriptChat(
      {
        toolCall: {
          name: 'search_similar_issues',
          arguments: { query: 'invoice totals crash billing' },
        },
      },
      {
        toolCall: {
          name: 'mark_duplicate',
          arguments: { target: 'ENG-42', reason: 'Same crash on invoice totals', confidence: 0.91 },
        },
      },
    );
    const result = await engine().run(
      reportInput('Invoice totals make the billing page crash'),
      policy,
      host,
    );
    expect(result.engine).toBe('llm');
    expect(result.decision).toMatchObject({
      kind: 'duplicate',
      target: 'ENG-42',
      confidence: 0.91,
      reason: 'Same crash on invoice totals',
    });
    expect(
      result.decision.kind === 'duplicate' && result.decision.ticket.title.length,
    ).toBeGreaterThan(0);
    expect(host.queries).toEqual(['similar:invoice totals crash billing']);
  });

  it('answers malformed arguments with an error naming the problem, and the model recovers', async () => {
    openai.scriptChat(
      { toolCall: { name: 'file_ticket', arguments: '{"title": "Billing crash", "steps": [' } },
      (request) => {
        expect(toolResults(request)[0].error).toMatch(/file_ticket are not valid JSON/);
        return {
          toolCall: { name: 'file_ticket', arguments: { ...FILE_ARGS, severity: 'critical' } },
        };
      },
      (request) => {
        expect(toolResults(request)[1].error).toMatch(
          /Invalid arguments for file_ticket: severity:/,
        );
        return { toolCall: { name: 'file_ticket', arguments: FILE_ARGS } };
      },
    );
    const result = await engine().run(reportInput('Billing crashes'), policy, host);
    expect(result.fallbackReason).toBeUndefined();
    expect(result.decision).toMatchObject({ kind: 'file', ticket: { severity: 'high' } });
    expect(result.trace.filter((s) => s.tool === 'file_ticket').map((s) => s.result)).toEqual([
      expect.stringMatching(/^error: .*not valid JSON/),
      expect.stringMatching(/^error: .*severity/),
      expect.stringMatching(/^files "Billing page crashes/),
    ]);
  });

  it('refuses questions about what the report states, keeps the real gaps, and the model files', async () => {
    const description =
      'Invoice export crashes the tab\n\nVersion 4.2.1. Every time I press Export on an invoice the tab crashes.';
    openai.scriptChat(
      {
        toolCall: {
          name: 'ask_reporter',
          arguments: {
            questions: [
              { kind: 'version', text: 'Which version are you using?' },
              'What did you expect to happen?',
            ],
            reason: 'version and expectation unknown',
          },
        },
      },
      (request) => {
        // Both questions ask for facts the report states: refused, with what is known.
        const error = String(toolResults(request)[0].error);
        expect(error).toMatch(/already known/);
        expect(error).toContain('version: "Version 4.2.1" (reporter)');
        expect(error).toMatch(/expected: "It keeps running without crashing" \(inferred\)/);
        return {
          toolCall: {
            name: 'ask_reporter',
            arguments: {
              questions: [
                { kind: 'version', text: 'Which version are you using?' },
                { kind: 'screenshot', text: '¿Puede adjuntar una captura de pantalla?' },
              ],
              reason: 'a picture of the crash page would help',
            },
          },
        };
      },
    );
    const result = await engine().run(reportInput(description), policy, host);
    expect(result.fallbackReason).toBeUndefined();
    // The re-ask is left out; the real gap is asked, in the model's words and with its kind.
    expect(result.decision).toMatchObject({
      kind: 'ask',
      questions: [
        { kind: 'screenshot', key: 'actual', text: '¿Puede adjuntar una captura de pantalla?' },
      ],
    });
    expect(result.decision.kind === 'ask' && result.decision.reason).toContain(
      'left out 1 question(s) about what is already known: version',
    );
  });

  it('answers an unknown tool with an error and carries on', async () => {
    openai.scriptChat({ toolCall: { name: 'delete_all_tickets', arguments: {} } }, (request) => {
      expect(toolResults(request)[0].error).toMatch(/Unknown tool "delete_all_tickets"/);
      return { toolCall: { name: 'file_ticket', arguments: FILE_ARGS } };
    });
    const result = await engine().run(reportInput('Billing crashes'), policy, host);
    expect(result.decision.kind).toBe('file');
  });

  it('neither offers nor runs a tool the policy does not allow', async () => {
    const strict: TriagePolicy = {
      ...policy,
      allowedTools: policy.allowedTools.filter((t) => t !== 'search_sentry'),
    };
    openai.scriptChat(
      (request) => {
        const offered = request.tools.map((t) => (t.function as { name: string }).name);
        expect(offered).not.toContain('search_sentry');
        expect(offered).toContain('file_ticket');
        return { toolCall: { name: 'search_sentry', arguments: { query: 'billing' } } };
      },
      (request) => {
        expect(toolResults(request)[0].error).toMatch(/"search_sentry" is not allowed/);
        return { toolCall: { name: 'file_ticket', arguments: FILE_ARGS } };
      },
    );
    const result = await engine().run(reportInput('Billing crashes'), strict, host);
    expect(host.queries).toEqual([]);
    expect(result.decision.kind).toBe('file');
  });

  it('falls back to the deterministic engine when the step budget runs out', async () => {
    openai.scriptChat(
      ...[1, 2, 3].map((n) => ({
        toolCall: { name: 'search_sentry', arguments: { query: `billing ${n}` } },
      })),
    );
    const result = await engine({ maxSteps: 3 }).run(reportInput('Billing crashes'), policy, host);
    expect(result.engine).toBe('deterministic');
    expect(result.fallbackReason).toMatch(/Step budget exceeded: 3 model calls/);
    const tools = result.trace.map((s) => s.tool);
    expect(tools.slice(0, 7)).toEqual([
      'model',
      'search_sentry',
      'model',
      'search_sentry',
      'model',
      'search_sentry',
      'fallback',
    ]);
    expect(result.trace[6]).toMatchObject({ engine: 'llm', reason: result.fallbackReason });
    expect(result.usage.prompt).toBeGreaterThan(0);
  });

  it('falls back when the token budget runs out', async () => {
    openai.scriptChat({ toolCall: { name: 'search_sentry', arguments: { query: 'billing' } } });
    const result = await engine({ tokenBudget: 500 }).run(
      reportInput('Billing crashes'),
      policy,
      host,
    );
    expect(result.engine).toBe('deterministic');
    expect(result.fallbackReason).toMatch(/Token budget exceeded: \d+ tokens spent, budget 500/);
  });

  it('waits out a 429 as Retry-After says and reaches a decision', async () => {
    openai.scriptChat(
      { status: 429, retryAfterSeconds: 1 },
      { toolCall: { name: 'file_ticket', arguments: FILE_ARGS } },
    );
    const started = Date.now();
    const result = await engine().run(reportInput('Billing crashes'), policy, host);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(openai.chatRequests().map((r) => r.status)).toEqual([429, 200]);
    expect(result.engine).toBe('llm');
    expect(result.decision.kind).toBe('file');
  });

  it('falls back to the deterministic engine when the API keeps failing', async () => {
    openai.scriptChat(...[1, 2, 3].map(() => ({ status: 500 as const, retryAfterSeconds: 0 })));
    const result = await engine().run(reportInput('Billing crashes'), policy, host);
    expect(openai.chatRequests()).toHaveLength(3);
    expect(result.engine).toBe('deterministic');
    expect(result.fallbackReason).toMatch(/^The OpenAI API failed \(TEMPORARY\)/);
    expect(result.fallbackReason).not.toContain(openai.apiKey);
    expect(result.trace.map((s) => s.tool).slice(0, 2)).toEqual(['model', 'fallback']);
    expect(['ask', 'file', 'duplicate', 'escalate']).toContain(result.decision.kind);
  });

  it('says UNAUTHORIZED, never the key, when the key is wrong', async () => {
    const wrong = new OpenAiClient({ apiKey: 'sk-wrong-key-9999', baseUrl: openai.baseUrl });
    const result = await new LlmEngine(wrong, { model: MODEL }).run(
      reportInput('Billing crashes'),
      policy,
      host,
    );
    expect(result.fallbackReason).toMatch(/\(UNAUTHORIZED\)/);
    expect(JSON.stringify(result)).not.toContain('sk-wrong-key-9999');
  });

  it('falls back when the model refuses', async () => {
    openai.scriptChat({ refusal: "I can't help with that." });
    const result = await engine().run(reportInput('Billing crashes'), policy, host);
    expect(result.engine).toBe('deterministic');
    expect(result.fallbackReason).toBe("The model refused: I can't help with that.");
  });

  it('falls back when the provider content filter stops the answer', async () => {
    openai.scriptChat({ finishReason: 'content_filter', content: '' });
    const result = await engine().run(reportInput('Billing crashes'), policy, host);
    expect(result.engine).toBe('deterministic');
    expect(result.fallbackReason).toBe('The provider content filter stopped the answer');
  });

  it('falls back after three invalid tool calls in a row', async () => {
    openai.scriptChat(
      { toolCall: { name: 'file_ticket', arguments: '{' } },
      { toolCall: { name: 'mark_duplicate', arguments: { target: 'ENG-1' } } },
      { toolCall: { name: 'no_such_tool', arguments: {} } },
    );
    const result = await engine().run(reportInput('Billing crashes'), policy, host);
    expect(result.engine).toBe('deterministic');
    expect(result.fallbackReason).toBe('Malformed output: 3 invalid tool calls in a row');
  });

  it('nudges once after a plain-text answer, and falls back after the second', async () => {
    openai.scriptChat({ content: 'This looks like a billing bug.' }, (request) => {
      expect(request.messages.at(-1)).toMatchObject({
        role: 'user',
        content: expect.stringMatching(/tool call/),
      });
      return { content: 'Still thinking.' };
    });
    const result = await engine().run(reportInput('Billing crashes'), policy, host);
    expect(result.fallbackReason).toMatch(/plain text 2 times in a row/);
    expect(result.trace[0].reason).toBe('This looks like a billing bug.');
  });

  it('records tokens per model call and keeps personal data out of the trace', async () => {
    openai.scriptChat(
      {
        toolCall: {
          name: 'search_sentry',
          arguments: { query: 'payment failed jane.doe@example.com' },
        },
      },
      {
        toolCall: {
          name: 'file_ticket',
          arguments: {
            ...FILE_ARGS,
            summary: 'Card 4111 1111 1111 1111 declined for jane.doe@example.com on /billing',
          },
        },
      },
    );
    const result = await engine().run(reportInput('Payment fails'), policy, host);
    const models = result.trace.filter((s) => s.tool === 'model');
    expect(models).toHaveLength(2);
    for (const s of models) expect(s.tokensIn).toBeGreaterThan(0);
    for (const s of models) expect(s.tokensOut).toBeGreaterThan(0);
    const sent = openai.chatRequests().map((r) => r.usage!);
    expect(models.map((s) => [s.tokensIn, s.tokensOut, s.tokensCached])).toEqual(
      sent.map((u) => [u.prompt_tokens, u.completion_tokens, u.cached_tokens]),
    );
    // The second call repeats the first one's prompt: the provider serves it from cache.
    expect(models[1].tokensCached).toBeGreaterThan(0);
    expect(result.usage).toEqual({
      prompt: sent[0].prompt_tokens + sent[1].prompt_tokens,
      completion: sent[0].completion_tokens + sent[1].completion_tokens,
      cached: sent[1].cached_tokens,
    });
    const stored = JSON.stringify(result.trace);
    expect(stored).not.toContain('jane.doe@example.com');
    expect(stored).not.toContain('4111 1111 1111 1111');
    expect(result.trace.find((s) => s.tool === 'file_ticket')?.arguments).toMatchObject({
      title: FILE_ARGS.title,
      severity: 'high',
    });
  });

  it('sends byte-identical system prompt and tools for different reports', async () => {
    openai.scriptChat(
      { toolCall: { name: 'file_ticket', arguments: FILE_ARGS } },
      { toolCall: { name: 'file_ticket', arguments: FILE_ARGS } },
    );
    await engine().run(reportInput('Billing crashes when I open an invoice'), policy, host);
    await engine().run(
      reportInput('The export button on reports does nothing', {
        report: { ...reportInput('').report, pageUrl: 'https://app.acme.example/reports' },
        sentryIssue: SENTRY_ISSUE,
      }),
      policy,
      host,
    );
    const [a, b] = openai.chatRequests();
    expect(JSON.stringify(b.messages[0])).toBe(JSON.stringify(a.messages[0]));
    expect(JSON.stringify(b.tools)).toBe(JSON.stringify(a.tools));
    expect(b.messages[1].content).not.toBe(a.messages[1].content);
    expect(String(a.messages[0].content)).not.toMatch(/invoice|export/i);
  });
});
