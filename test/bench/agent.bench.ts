/**
 * `npm run bench:agent`
 *
 * Runs the LLM triage engine (LlmEngine through the real openai SDK) against the fake OpenAI
 * server on six scripted reports: with and without a recording analysis and a Sentry issue, a
 * question turn followed by an answer turn, a duplicate, an escalation. Prints per report the
 * prompt, completion and cached tokens and the steps taken, then totals.
 *
 * Baseline, measured in the same run: the same conversations sent the naive way, with the whole
 * triage input (raw analysis with its full timeline, the full Sentry issue, pretty-printed) in
 * the system prompt and the raw analysis as the recording tool's result. Per-report data in
 * the system prompt means no prefix is shared between reports, and nothing is compacted.
 *
 * Tokens: the fake server counts about four characters a token. The tool schemas and system
 * prompt are counted with gpt-tokenizer or js-tiktoken when one is installed, else the same
 * estimate.
 *
 * Targets: tool schemas + system prompt ≤ 3,000 tokens; ≤ 25,000 tokens (prompt + completion)
 * per triaged report; cached share of prompt tokens on calls after a report's first > 0 (the
 * prefix is stable). Exit code 1 when a target fails.
 */
import type {
  TriagePolicy,
  TriageToolHost,
  ConversationTurn,
  SentryIssueSummary,
  SimilarIssue,
  TriageInput,
} from '../../src/modules/triage/engine/triage.types';
import { LlmEngine } from '../../src/modules/triage/engine/llm/llm-engine';
import { SYSTEM_PROMPT } from '../../src/modules/triage/engine/llm/prompt';
import { toolsFor } from '../../src/modules/triage/engine/llm/tools';
import { OpenAiClient } from '../../src/integrations/openai/openai.client';
import { DEFAULT_POLICY } from '../../src/modules/projects/policy';
import type { RecordingAnalysis, TimelineEntry } from '../../src/modules/recordings/analyzer/types';
import type { SentryAttachment } from '../../src/modules/sentry/sentry-attachment';
import {
  FakeOpenAi,
  estimateTokens,
  type ChatScript,
  type RecordedChatRequest,
} from '../fakes/openai.server';

const MODEL = 'gpt-4.1-mini';
const SCHEMA_PROMPT_TARGET = 3000;
const REPORT_TARGET = 25_000;
const policy: TriagePolicy = { ...DEFAULT_POLICY };

// Synthetic evidence

function recording(path: string, failing: string, steps: string[]): RecordingAnalysis {
  const timeline: TimelineEntry[] = [];
  for (let i = 0; i < 240; i++) {
    const kind =
      i % 7 === 0 ? 'navigation' : i % 3 === 0 ? 'scroll' : i % 5 === 0 ? 'input' : 'click';
    timeline.push({
      t: i * 850,
      kind,
      text:
        kind === 'navigation'
          ? `Navigated to https://app.acme.example${path}?tab=${i % 4}`
          : kind === 'scroll'
            ? `Scrolled the main content to ${i * 37}px`
            : kind === 'input'
              ? `Typed into "Search invoices" (${i % 9} characters)`
              : `Clicked "Row ${i % 12}" in the invoices table`,
      url: `https://app.acme.example${path}`,
      target: {
        id: 1000 + i,
        tag: kind === 'input' ? 'input' : 'button',
        role: kind === 'input' ? 'textbox' : 'button',
        name: kind === 'input' ? 'Search invoices' : `Row ${i % 12}`,
        selector: `main > section.invoices > table > tbody > tr:nth-child(${i % 12}) > td > button`,
      },
    });
  }
  const t = 240 * 850;
  return {
    version: 1,
    startedAt: Date.parse('2025-05-02T13:58:00.000Z'),
    startUrl: `https://app.acme.example${path}`,
    timeline,
    steps: steps.map((text, i) => ({ n: i + 1, t: t - (steps.length - i) * 4000, text, count: 1 })),
    errors: [
      {
        t,
        level: 'error',
        message: failing,
        uncaught: true,
        stack: [
          'at renderTotals (https://app.acme.example/assets/billing-3f9a.js:1:48213)',
          'at InvoicePanel (https://app.acme.example/assets/billing-3f9a.js:1:50122)',
          'at renderWithHooks (https://app.acme.example/assets/vendor-91c2.js:2:11873)',
          'at mountIndeterminateComponent (https://app.acme.example/assets/vendor-91c2.js:2:15002)',
        ],
        url: `https://app.acme.example${path}`,
      },
    ],
    failedRequests: [
      {
        t: t - 300,
        method: 'GET',
        url: `https://app.acme.example/api${path}`,
        status: 500,
        durationMs: 412,
      },
    ],
    signals: [
      {
        kind: 'rage_click',
        t: t + 900,
        target: 'button "Open invoice"',
        text: 'Clicked 6 times',
        count: 6,
      },
    ],
    failure: { t, url: `https://app.acme.example${path}`, reason: 'error', text: failing },
    environment: {
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/126.0 Safari/537.36',
      browser: 'Chrome',
      browserVersion: '126.0',
      os: 'macOS',
      osVersion: '10.15.7',
      device: null,
      viewport: { width: 1440, height: 900 },
      locale: 'en-GB',
      timezone: 'Europe/London',
    },
    uninterpreted: [],
    stats: { events: 1890, bytes: 912_000, ms: t + 3000 },
  };
}

const SENTRY: SentryAttachment = {
  id: '4501',
  shortId: 'WEB-1F',
  title: "TypeError: Cannot read properties of undefined (reading 'total')",
  permalink: 'https://sentry.example/organizations/acme/issues/4501/',
  culprit: 'billing/InvoicePanel in renderTotals',
  events: 212,
  usersAffected: 37,
  firstSeen: '2025-04-30T09:00:00.000Z',
  lastSeen: '2025-05-02T14:02:11.000Z',
  release: 'web@3.14.0',
  environment: 'production',
  eventId: '9f2c1e7a',
  frames: [
    'src/billing/InvoicePanel.tsx:88 renderTotals',
    'src/billing/InvoicePanel.tsx:41 InvoicePanel',
    'src/billing/useInvoice.ts:19 useInvoice',
  ],
  breadcrumbs: [
    { at: '2025-05-02T14:02:08.000Z', category: 'navigation', message: 'to /billing/invoices/881' },
    { at: '2025-05-02T14:02:10.000Z', category: 'xhr', message: 'GET /api/invoices/881 → 200' },
    { at: '2025-05-02T14:02:11.000Z', category: 'console', message: 'Invoice totals missing' },
  ],
  replayUrl: null,
  score: 0.88,
  reasons: ['same page', 'within 2 minutes'],
};

const summaryOf = (s: SentryAttachment): SentryIssueSummary => ({
  id: s.id,
  shortId: s.shortId,
  title: s.title,
  culprit: s.culprit,
  events: s.events,
  lastSeen: s.lastSeen,
  permalink: s.permalink,
});

const SIMILAR: SimilarIssue[] = [
  {
    key: 'ENG-42',
    title: 'Export to CSV button does nothing on Reports',
    url: 'https://linear.example/acme/issue/ENG-42',
    score: 0.94,
    reasons: ['same page', 'same control'],
  },
  {
    key: 'ENG-17',
    title: 'Reports page slow with many rows',
    url: 'https://linear.example/acme/issue/ENG-17',
    score: 0.41,
    reasons: ['same page'],
  },
];

const host: TriageToolHost = {
  searchSentry: (query) =>
    Promise.resolve(/billing|invoice|total/i.test(query) ? [summaryOf(SENTRY)] : []),
  getSentryIssue: (id) =>
    Promise.resolve(id === SENTRY.id || id === SENTRY.shortId ? SENTRY : null),
  searchSimilarIssues: (query) =>
    Promise.resolve(/export|csv|report/i.test(query) ? SIMILAR : SIMILAR.slice(1)),
};

function input(description: string, overrides: Partial<TriageInput> = {}): TriageInput {
  return {
    report: {
      id: null,
      description,
      source: 'widget',
      pageUrl: 'https://app.acme.example/billing',
      pageTitle: 'Billing · Acme',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/126.0 Safari/537.36',
      locale: 'en-GB',
      timezone: 'Europe/London',
      viewport: { width: 1440, height: 900 },
      createdAt: '2025-05-02T14:03:00.000Z',
    },
    reporter: { name: 'Dana Reporter', email: 'dana@customer.example' },
    account: { name: 'Customer Ltd', tier: 'pro' },
    analysis: null,
    sentryIssue: null,
    conversation: [],
    ...overrides,
  };
}

const call = (name: string, args: Record<string, unknown>): ChatScript => ({
  toolCall: { name, arguments: args },
});

const fileTicket = (title: string, severity: string, reason: string): ChatScript =>
  call('file_ticket', {
    title,
    summary: `${title}. Seen in the recording and Sentry; see evidence.`,
    steps: ['Open the page', 'Do the action described', 'Observe the failure'],
    expected: 'The action completes',
    actual: title,
    severity,
    labels: ['bug'],
    confidence: 0.82,
    reason,
  });

interface Turn {
  input: TriageInput;
  script: ChatScript[];
}

interface BenchReport {
  name: string;
  turns: Turn[];
}

const vague = 'The invoice thing is broken again. Please fix ASAP.';
const answered: ConversationTurn = {
  questions: [
    'When you open an invoice on /billing, does the page go blank or show an error?',
    'Does it happen for every invoice or only some?',
  ],
  answer: 'It goes blank for every invoice since this morning. Chrome on a Mac.',
  askedAt: '2025-05-02T14:05:00.000Z',
  answeredAt: '2025-05-02T14:31:00.000Z',
};

const REPORTS: BenchReport[] = [
  {
    name: 'recording + sentry → file',
    turns: [
      {
        input: input('Clicking an invoice on billing makes the whole page go white.', {
          analysis: recording('/billing', SENTRY.title, [
            'Opened /billing',
            'Clicked "Invoices"',
            'Clicked "Open invoice" on INV-881',
          ]),
          sentryIssue: SENTRY,
        }),
        script: [
          call('get_recording_analysis', {}),
          call('get_sentry_issue', { id: 'WEB-1F' }),
          call('search_similar_issues', { query: 'billing invoice blank page TypeError total' }),
          fileTicket(
            'Opening an invoice on /billing blanks the page',
            'high',
            'Recording + WEB-1F',
          ),
        ],
      },
    ],
  },
  {
    name: 'vague → ask, answer → file',
    turns: [
      {
        input: input(vague),
        script: [
          call('search_sentry', { query: 'invoice billing error' }),
          call('ask_reporter', {
            questions: answered.questions,
            reason: 'No recording; WEB-1F may match',
          }),
        ],
      },
      {
        input: input(vague, { conversation: [answered] }),
        script: [
          call('get_sentry_issue', { id: 'WEB-1F' }),
          call('search_similar_issues', { query: 'invoice page blank' }),
          fileTicket('Invoice page goes blank for every invoice', 'high', 'Answer + WEB-1F'),
        ],
      },
    ],
  },
  {
    name: 'duplicate',
    turns: [
      {
        input: input('Export to CSV on the Reports page does nothing when I click it.', {
          report: { ...input('').report, pageUrl: 'https://app.acme.example/reports' },
        }),
        script: [
          call('search_similar_issues', { query: 'export csv reports button does nothing' }),
          call('mark_duplicate', {
            target: 'ENG-42',
            reason: 'Same control, same page',
            confidence: 0.9,
          }),
        ],
      },
    ],
  },
  {
    name: 'recording, no sentry → file',
    turns: [
      {
        input: input('Saving my settings spins forever.', {
          analysis: recording('/settings', 'Request timed out: PUT /api/settings', [
            'Opened /settings',
            'Changed "Time zone"',
            'Clicked "Save"',
          ]),
        }),
        script: [
          call('get_recording_analysis', {}),
          call('search_sentry', { query: 'settings save timeout' }),
          fileTicket(
            'Saving settings never finishes (PUT /api/settings 500)',
            'medium',
            'Recording',
          ),
        ],
      },
    ],
  },
  {
    name: 'email, not a bug → escalate',
    turns: [
      {
        input: input(
          'Hi team,\n\nCould you add dark mode to the dashboard? Our staff work nights. ' +
            'Also my colleague pat@customer.example asked whether we can get an invoice in EUR.\n\n' +
            'Thanks,\nDana\n\n-- \nDana Reporter | Customer Ltd | +44 20 7946 0000',
          { report: { ...input('').report, source: 'email', pageUrl: null, pageTitle: null } },
        ),
        script: [
          call('search_similar_issues', { query: 'dark mode dashboard' }),
          call('escalate_to_human', { reason: 'Feature request, not a bug', severity: 'low' }),
        ],
      },
    ],
  },
  {
    name: 'sentry attached, no recording → file',
    turns: [
      {
        input: input('Totals missing on invoices, then crash.', { sentryIssue: SENTRY }),
        script: [
          call('get_sentry_issue', { id: '4501' }),
          call('search_similar_issues', { query: 'invoice totals crash' }),
          fileTicket('Invoice totals crash InvoicePanel (WEB-1F)', 'high', 'WEB-1F, 37 users'),
        ],
      },
    ],
  },
];

// Token counting

type Encoder = (text: string) => number;

async function loadTokenizer(): Promise<{ name: string; count: Encoder }> {
  // Optional: used when the project happens to have one; never installed for this bench.
  for (const name of ['gpt-tokenizer', 'js-tiktoken']) {
    try {
      const mod = (await import(name)) as {
        encode?: (t: string) => number[];
        getEncoding?: (e: string) => { encode: (t: string) => number[] };
      };
      if (typeof mod.encode === 'function') {
        const encode = mod.encode;
        return { name, count: (t) => encode(t).length };
      }
      if (typeof mod.getEncoding === 'function') {
        const enc = mod.getEncoding('o200k_base');
        return { name: `${name} o200k_base`, count: (t) => enc.encode(t).length };
      }
    } catch {
      // Not installed.
    }
  }
  return { name: 'chars/4 estimate (no tokenizer installed)', count: estimateTokens };
}

// Running

interface Figures {
  prompt: number;
  completion: number;
  cached: number;
  calls: number;
  steps: number;
  laterPrompt: number;
  laterCached: number;
  decisions: string[];
  fallbacks: string[];
}

function sumCalls(
  requests: RecordedChatRequest[],
): Pick<Figures, 'prompt' | 'completion' | 'cached'> {
  return requests.reduce(
    (s, r) => ({
      prompt: s.prompt + (r.usage?.prompt_tokens ?? 0),
      completion: s.completion + (r.usage?.completion_tokens ?? 0),
      cached: s.cached + (r.usage?.cached_tokens ?? 0),
    }),
    { prompt: 0, completion: 0, cached: 0 },
  );
}

async function runRepro(
  openai: FakeOpenAi,
  engine: LlmEngine,
  report: BenchReport,
): Promise<{
  figures: Figures;
  requests: RecordedChatRequest[][];
}> {
  const figures: Figures = {
    prompt: 0,
    completion: 0,
    cached: 0,
    calls: 0,
    steps: 0,
    laterPrompt: 0,
    laterCached: 0,
    decisions: [],
    fallbacks: [],
  };
  const requests: RecordedChatRequest[][] = [];
  for (const turn of report.turns) {
    const before = openai.chatRequests().length;
    openai.scriptChat(...turn.script);
    const result = await engine.run(turn.input, policy, host);
    const sent = openai.chatRequests().slice(before);
    requests.push(sent);
    figures.prompt += result.usage.prompt;
    figures.completion += result.usage.completion;
    figures.cached += result.usage.cached;
    figures.calls += sent.length;
    figures.steps += result.trace.length;
    const later = sumCalls(sent.slice(1));
    figures.laterPrompt += later.prompt;
    figures.laterCached += later.cached;
    figures.decisions.push(result.decision.kind);
    if (result.fallbackReason) figures.fallbacks.push(result.fallbackReason);
  }
  return { figures, requests };
}

/**
 * The naive agent's requests for the same conversation: the whole input, pretty-printed, in
 * the system prompt, and the raw analysis where Repro sends its compact view.
 */
function naiveRequests(report: BenchReport, sent: RecordedChatRequest[][]): RecordedChatRequest[] {
  return sent.flatMap((turnRequests, i) => {
    const turn = report.turns[i];
    const system = `${SYSTEM_PROMPT}\n\nReport:\n${JSON.stringify(turn.input, null, 2)}`;
    return turnRequests.map((request) => {
      const messages = request.messages.map((m, j) => {
        if (j === 0) return { role: 'system', content: system };
        if (j === 1) return { role: 'user', content: 'Triage this report.' };
        const previous = request.messages[j - 1] as {
          tool_calls?: { function: { name: string } }[];
        };
        if (
          m.role === 'tool' &&
          previous.tool_calls?.[0]?.function.name === 'get_recording_analysis'
        ) {
          return { ...m, content: JSON.stringify(turn.input.analysis, null, 2) };
        }
        return m;
      });
      return { ...request, messages };
    });
  });
}

async function runNaive(
  openai: FakeOpenAi,
  client: OpenAiClient,
  requests: RecordedChatRequest[],
): Promise<Pick<Figures, 'prompt' | 'completion' | 'cached'>> {
  const before = openai.chatRequests().length;
  for (const request of requests) {
    openai.scriptChat({ content: 'ok' });
    await client.chat({
      model: MODEL,
      messages: request.messages as never,
      tools: request.tools as never,
    });
  }
  const sent = openai.chatRequests().slice(before);
  // Completion tokens are the model's; the naive agent writes the same answers.
  const repro = sumCalls(requests);
  return { ...sumCalls(sent), completion: repro.completion };
}

const pad = (v: string | number, n: number) => String(v).padStart(n);
const pct = (part: number, whole: number) =>
  whole ? `${((100 * part) / whole).toFixed(1)}%` : '-';

async function main(): Promise<void> {
  const openai = new FakeOpenAi();
  const naiveServer = new FakeOpenAi();
  await Promise.all([openai.start(), naiveServer.start()]);
  try {
    const client = new OpenAiClient({
      apiKey: openai.apiKey,
      baseUrl: openai.baseUrl,
      maxRetries: 0,
    });
    const naiveClient = new OpenAiClient({
      apiKey: naiveServer.apiKey,
      baseUrl: naiveServer.baseUrl,
      maxRetries: 0,
    });
    const engine = new LlmEngine(client, { model: MODEL });
    const tokenizer = await loadTokenizer();
    const tools = toolsFor(policy);
    const promptTokens = tokenizer.count(SYSTEM_PROMPT);
    const schemaTokens = tokenizer.count(JSON.stringify(tools));
    const fixed = promptTokens + schemaTokens;

    console.log(`LLM triage bench: ${REPORTS.length} reports, model ${MODEL}, fake OpenAI server`);
    console.log(`Token counter: ${tokenizer.name}; usage figures from the fake server (chars/4)`);
    console.log(
      `System prompt ${promptTokens} + ${tools.length} tool schemas ${schemaTokens} = ${fixed} tokens ` +
        `(target ≤ ${SCHEMA_PROMPT_TARGET})`,
    );
    for (const tool of tools) {
      console.log(
        `  ${tool.function.name.padEnd(24)} ${pad(tokenizer.count(JSON.stringify(tool)), 5)} tokens`,
      );
    }
    console.log('');
    console.log(
      `${'report'.padEnd(40)} ${pad('turns', 5)} ${pad('calls', 5)} ${pad('steps', 5)} ${pad('prompt', 7)} ` +
        `${pad('cached', 7)} ${pad('compl', 6)} ${pad('total', 7)} ${pad('naive', 7)} decision`,
    );

    const totals = {
      prompt: 0,
      completion: 0,
      cached: 0,
      laterPrompt: 0,
      laterCached: 0,
      calls: 0,
    };
    const naiveTotals = { prompt: 0, completion: 0, cached: 0 };
    const failures: string[] = [];
    let worst = 0;
    for (const report of REPORTS) {
      const { figures, requests } = await runRepro(openai, engine, report);
      const naive = await runNaive(naiveServer, naiveClient, naiveRequests(report, requests));
      const total = figures.prompt + figures.completion;
      worst = Math.max(worst, total);
      totals.prompt += figures.prompt;
      totals.completion += figures.completion;
      totals.cached += figures.cached;
      totals.laterPrompt += figures.laterPrompt;
      totals.laterCached += figures.laterCached;
      totals.calls += figures.calls;
      naiveTotals.prompt += naive.prompt;
      naiveTotals.completion += naive.completion;
      naiveTotals.cached += naive.cached;
      console.log(
        `${report.name.padEnd(40)} ${pad(report.turns.length, 5)} ${pad(figures.calls, 5)} ` +
          `${pad(figures.steps, 5)} ${pad(figures.prompt, 7)} ${pad(figures.cached, 7)} ` +
          `${pad(figures.completion, 6)} ${pad(total, 7)} ${pad(naive.prompt + naive.completion, 7)} ` +
          figures.decisions.join(' → '),
      );
      if (figures.fallbacks.length)
        failures.push(`${report.name} fell back: ${figures.fallbacks.join('; ')}`);
      if (total > REPORT_TARGET)
        failures.push(`${report.name}: ${total} tokens > ${REPORT_TARGET}`);
    }

    const uncached = totals.prompt - totals.cached;
    const naiveUncached = naiveTotals.prompt - naiveTotals.cached;
    console.log('');
    console.log(
      `Totals: ${totals.calls} model calls, prompt ${totals.prompt} (cached ${totals.cached}, ` +
        `${pct(totals.cached, totals.prompt)}), completion ${totals.completion}; ` +
        `worst report ${worst} tokens (target ≤ ${REPORT_TARGET})`,
    );
    console.log(
      `Cached share of prompt tokens on calls after each turn's first: ` +
        `${pct(totals.laterCached, totals.laterPrompt)} (target > 0)`,
    );
    console.log(
      `Naive baseline (whole input pretty-printed in the system prompt, raw analysis): prompt ` +
        `${naiveTotals.prompt} (cached ${naiveTotals.cached}, ${pct(naiveTotals.cached, naiveTotals.prompt)})`,
    );
    console.log(
      `Ratios naive / Repro: prompt tokens ${(naiveTotals.prompt / totals.prompt).toFixed(2)}x, ` +
        `uncached prompt tokens ${(naiveUncached / uncached).toFixed(2)}x (higher is better)`,
    );

    if (fixed > SCHEMA_PROMPT_TARGET) {
      failures.push(`schemas + system prompt ${fixed} tokens > ${SCHEMA_PROMPT_TARGET}`);
    }
    if (!(totals.laterCached > 0)) failures.push('no prompt tokens were served from the cache');
    console.log('');
    if (failures.length) {
      for (const f of failures) console.log(`FAIL ${f}`);
      process.exitCode = 1;
    } else {
      console.log('All targets met.');
    }
  } finally {
    await Promise.all([openai.stop(), naiveServer.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
