/** One report: what the customer said, what the agent found, and the decisions on it. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { KeysDialog } from '../keys';
import { listed } from '../listed';
import { navigate } from '../router';
import type { Fact, Message, Proposal, ReportView, Trace } from '../types';
import { asApiError, Field, formatDate, FormError, Link, StatusChip, typing } from '../ui';

const ACTIVE = ['received', 'analyzing', 'clarifying', 'deduping', 'filing'];
const SEVERITIES = ['urgent', 'high', 'medium', 'low'];
const FACT_LABELS: Record<string, string> = {
  actual: 'What happened',
  expected: 'What was expected',
  steps: 'Steps',
  where: 'Where',
  when: 'When',
  frequency: 'How often',
  impact: 'Impact',
  environment: 'Environment',
  version: 'Version',
  logs: 'Logs',
};

const REPORT_KEYS: [string, string][] = [
  ['a', 'Approve the proposed ticket'],
  ['e', 'Edit the proposed ticket'],
  ['m', 'Merge into a ticket'],
  ['r', 'Reject with a reason'],
  ['w', 'Write to the reporter'],
  ['u', 'Back to the inbox'],
  ['?', 'Show these keys'],
];

/**
 * The replay link's path on this server: the link names PUBLIC_URL, and the app may have been
 * opened at another address of the same server (the frame is allowed from 'self' only).
 */
function sameOrigin(link: string): string {
  try {
    const url = new URL(link, location.href);
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return link;
  }
}

const percent = (score: number) => `${Math.round(score * 100)}%`;

interface Draft {
  title: string;
  summary: string;
  steps: string;
  expected: string;
  actual: string;
  severity: string;
  labels: string;
}

function draftOf(p: Proposal | null | undefined): Draft {
  return {
    title: p?.title ?? '',
    summary: p?.summary ?? '',
    steps: (p?.steps ?? []).join('\n'),
    expected: p?.expected ?? '',
    actual: p?.actual ?? '',
    severity: p?.severity ?? 'medium',
    labels: (p?.labels ?? []).join(', '),
  };
}

/** Only what the person changed: the rest stays as the agent proposed. */
function edits(draft: Draft, base: Draft): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (draft.title !== base.title) out.title = draft.title.trim();
  if (draft.summary !== base.summary) out.summary = draft.summary;
  if (draft.steps !== base.steps) {
    out.steps = draft.steps
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (draft.expected !== base.expected) out.expected = draft.expected;
  if (draft.actual !== base.actual) out.actual = draft.actual;
  if (draft.severity !== base.severity) out.severity = draft.severity;
  if (draft.labels !== base.labels) {
    out.labels = draft.labels
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return out;
}

/** Field names the API uses for the ticket's edits (`ticket.title`) to this form's own. */
function ticketField(error: ApiError | null): ApiError | null {
  if (!error?.field) return error;
  const field = error.field.replace(/^ticket\./, '');
  if (field === error.field) return error;
  return Object.assign(Object.create(Object.getPrototypeOf(error) as object) as ApiError, error, {
    details: { ...error.details, field },
  });
}

export function ReportPage(props: { id: string }) {
  const { id } = props;
  const [view, setView] = useState<ReportView | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [messagesError, setMessagesError] = useState<ApiError | null>(null);
  const [trace, setTrace] = useState<Trace | null>(null);
  const [draft, setDraft] = useState<Draft>(draftOf(null));
  const [notice, setNotice] = useState('');
  const [decisionError, setDecisionError] = useState<ApiError | null>(null);
  const [mergeTarget, setMergeTarget] = useState('');
  const [mergeError, setMergeError] = useState<ApiError | null>(null);
  const [reason, setReason] = useState('');
  const [rejectError, setRejectError] = useState<ApiError | null>(null);
  const [reply, setReply] = useState('');
  const [replyError, setReplyError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [keysOpen, setKeysOpen] = useState(false);
  const [version, setVersion] = useState(0);
  const titleRef = useRef<HTMLInputElement>(null);
  const mergeRef = useRef<HTMLInputElement>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const replyRef = useRef<HTMLTextAreaElement>(null);
  const row = listed.get(id);

  const loadMessages = () =>
    view?.conversation
      ? Promise.resolve(setVersion((n) => n + 1))
      : api<{ messages: Message[] }>(`/v1/reports/${id}/messages`).then(
          (c) => {
            setMessages(c.messages);
            setMessagesError(null);
          },
          (e) => {
            setMessages([]);
            setMessagesError(asApiError(e));
          },
        );

  useEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async (first: boolean) => {
      try {
        const next = await api<ReportView>(`/v1/reports/${id}`);
        if (!current) return;
        setView(next);
        if (first) setDraft(draftOf(next.triage?.proposal));
        // While the pipeline works on it (after an approval, say), follow it.
        if (ACTIVE.includes(next.status)) timer = setTimeout(() => void load(false), 1000);
      } catch (e) {
        if (current) setLoadError(asApiError(e));
      }
    };
    void load(version === 0);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [id, version]);

  // The conversation comes with the view when the API sends it; otherwise from its own route.
  useEffect(() => {
    if (!view || view.conversation || messages !== null) return;
    void loadMessages();
  }, [view]);

  useEffect(() => {
    api<Trace>(`/v1/reports/${id}/trace`).then(setTrace, () => setTrace(null));
  }, [id]);

  // Opened with `m` or `r` from the inbox (#merge, #reject): straight to that action.
  useEffect(() => {
    if (!view) return;
    const go = () => {
      if (location.hash === '#merge') mergeRef.current?.focus();
      if (location.hash === '#reject') reasonRef.current?.focus();
    };
    go();
    window.addEventListener('hashchange', go);
    return () => window.removeEventListener('hashchange', go);
  }, [view === null]);

  const waiting = view?.status === 'needs_human';
  const base = draftOf(view?.triage?.proposal);
  const changed = edits(draft, base);
  const edited = Object.keys(changed).length > 0;

  const decide = async (body: Record<string, unknown>, onError: (e: ApiError) => void) => {
    setBusy(true);
    setNotice('');
    try {
      const result = await api<{ status: string }>(`/v1/reports/${id}/decision`, {
        method: 'POST',
        body,
      });
      setNotice(`Done: the report is ${result.status.replace(/_/g, ' ')}.`);
      setVersion((n) => n + 1);
    } catch (e) {
      onError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  const approve = (withEdits: boolean) => {
    setDecisionError(null);
    void decide(
      withEdits && edited
        ? { action: 'approve_with_edits', ticket: changed }
        : { action: 'approve' },
      (e) => setDecisionError(ticketField(e)),
    );
  };
  const merge = (target: string) => {
    setMergeError(null);
    void decide({ action: 'merge', target: target.trim() }, setMergeError);
  };
  const reject = () => {
    setRejectError(null);
    void decide({ action: 'reject', reason: reason.trim() }, setRejectError);
  };
  const send = async () => {
    setReplyError(null);
    setBusy(true);
    try {
      await api(`/v1/reports/${id}/staff-messages`, { method: 'POST', body: { body: reply } });
      setReply('');
      setNotice('Your message was sent to the reporter.');
      await loadMessages();
    } catch (e) {
      setReplyError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (keysOpen || typing(event)) return;
      const focus = (el: HTMLElement | null) => {
        event.preventDefault();
        el?.focus();
        el?.scrollIntoView({ block: 'center' });
      };
      switch (event.key) {
        case 'a':
          if (waiting && !busy) {
            event.preventDefault();
            approve(false);
          }
          break;
        case 'e':
          focus(titleRef.current);
          break;
        case 'm':
          focus(mergeRef.current);
          break;
        case 'r':
          focus(reasonRef.current);
          break;
        case 'w':
          focus(replyRef.current);
          break;
        case 'u':
          event.preventDefault();
          navigate('/app');
          break;
        case '?':
          event.preventDefault();
          setKeysOpen(true);
          break;
        default:
          break;
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  if (loadError) {
    return (
      <section>
        <h1>Report</h1>
        <FormError error={loadError} />
        <p>
          <Link href="/app">Back to the inbox</Link>
        </p>
      </section>
    );
  }
  if (!view) return <p class="muted">Loading the report…</p>;

  const title = view.triage?.proposal?.title ?? row?.title ?? 'Report';
  const words = view.description ?? row?.excerpt ?? null;
  const reporter = view.reporter ?? row?.reporter ?? null;
  const account = view.account ?? row?.account ?? null;
  const facts = Object.entries(view.triage?.facts ?? {}).filter(
    (entry): entry is [string, Fact] => entry[1] !== null,
  );
  const stepFacts = view.triage?.facts.steps?.items ?? [];
  const analysis = view.analysis ?? null;
  const candidates = view.dedupe?.candidates ?? [];
  const emailFacts = Object.entries(view.email ?? {}).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  const set = (key: keyof Draft) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    setDraft((d) => ({ ...d, [key]: value }));
  };

  return (
    <article class="report" aria-labelledby="report-title">
      <p class="crumbs">
        <Link href="/app">Inbox</Link> <span aria-hidden="true">/</span> Report
      </p>
      <div class="page-head">
        <h1 id="report-title">{title}</h1>
        <button type="button" class="quiet keys-button" onClick={() => setKeysOpen(true)}>
          Keys <kbd>?</kbd>
        </button>
      </div>
      <div class="report-meta">
        <StatusChip status={view.status} />
        <span>{view.source}</span>
        <time dateTime={view.createdAt}>{formatDate(view.createdAt)}</time>
        {reporter ? <span>{reporter.name ?? reporter.email}</span> : null}
        {account ? (
          <span>
            {account.name ?? account.id}
            {account.tier ? ` · ${account.tier}` : ''}
          </span>
        ) : null}
        {view.ticket ? (
          <span>
            Ticket{' '}
            <Link href={`/app/tickets/${encodeURIComponent(view.ticket.key)}`} class="key">
              {view.ticket.key}
            </Link>{' '}
            ({view.ticket.relation})
          </span>
        ) : null}
      </div>
      {row?.reasons.length ? (
        <ul class="reasons" aria-label="Why it waits for a person">
          {row.reasons.map((r, n) => (
            <li key={n}>{r}</li>
          ))}
        </ul>
      ) : null}
      <p class="notice" role="status" aria-live="polite">
        {notice}
      </p>

      <div class="report-grid">
        <div class="report-main">
          <section aria-labelledby="words-title">
            <h2 id="words-title">What the customer said</h2>
            {words !== null ? (
              <p class="customer-words">{words}</p>
            ) : (
              <p class="muted">The report's words are not in this view.</p>
            )}
            {emailFacts.length ? (
              <dl class="pairs">
                {emailFacts.map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </div>
                ))}
              </dl>
            ) : null}
          </section>

          <section aria-labelledby="conversation-title">
            <h2 id="conversation-title">Conversation</h2>
            {!view.conversation && messages === null ? <p class="muted">Loading…</p> : null}
            {messagesError && !view.conversation ? (
              <p class="muted">The conversation could not be read ({messagesError.code}).</p>
            ) : (view.conversation ?? messages)?.length === 0 ? (
              <p class="muted">No messages yet.</p>
            ) : null}
            <ol class="messages">
              {(view.conversation ?? messages ?? []).map((m) => (
                <li key={m.id} class={`message from-${m.author}`}>
                  <p class="message-head">
                    <strong>{m.author}</strong>{' '}
                    <time dateTime={m.createdAt}>{formatDate(m.createdAt)}</time>
                  </p>
                  <p class="message-body">{m.body}</p>
                </li>
              ))}
            </ol>
            <form
              class="stack"
              onSubmit={(e) => {
                e.preventDefault();
                void send();
              }}
            >
              <FormError error={replyError} fields={['body']} />
              <Field id="reply" name="body" label="Write to the reporter" error={replyError}>
                {(aria) => (
                  <textarea
                    {...aria}
                    ref={replyRef}
                    rows={3}
                    value={reply}
                    onInput={(e) => setReply(e.currentTarget.value)}
                  />
                )}
              </Field>
              <button type="submit" disabled={busy || !reply.trim()}>
                Send to the reporter
              </button>
            </form>
          </section>

          <section aria-labelledby="facts-title">
            <h2 id="facts-title">Facts</h2>
            {facts.length ? (
              <dl class="facts">
                {facts.map(([key, fact]) => (
                  <div key={key} class="fact">
                    <dt>{FACT_LABELS[key] ?? key}</dt>
                    <dd>
                      <span class="fact-value">{fact.value}</span>
                      <span class="fact-source">
                        <span class="source">{fact.source}</span>{' '}
                        <span class="muted">{percent(fact.confidence)} sure</span>
                      </span>
                      {fact.evidence ? <span class="evidence">{fact.evidence}</span> : null}
                    </dd>
                  </div>
                ))}
              </dl>
            ) : (
              <p class="muted">The agent has not read this report yet.</p>
            )}
          </section>

          <section aria-labelledby="replay-title">
            <h2 id="replay-title">Replay</h2>
            {view.replay ? (
              <iframe
                class="replay"
                src={sameOrigin(view.replay.url)}
                title="Replay of the customer's session at the moment of failure"
              />
            ) : (
              <p class="muted">
                {view.recording
                  ? `Recording ${view.recording.status}${view.recording.reason ? `: ${view.recording.reason}` : ''}.`
                  : 'No recording came with this report.'}
              </p>
            )}
          </section>

          <section aria-labelledby="steps-title">
            <h2 id="steps-title">Steps, errors and failed requests</h2>
            <h3>Steps</h3>
            {analysis?.steps?.length || stepFacts.length ? (
              <ol class="plain-list">
                {analysis?.steps?.length
                  ? analysis.steps.map((s, n) => <li key={n}>{s.text ?? s.description ?? ''}</li>)
                  : stepFacts.map((s, n) => <li key={n}>{s}</li>)}
              </ol>
            ) : (
              <p class="muted">No steps known.</p>
            )}
            <h3>Errors</h3>
            {analysis?.errors?.length ? (
              <ul class="plain-list mono">
                {analysis.errors.map((e, n) => (
                  <li key={n}>{e.message ?? e.text ?? ''}</li>
                ))}
              </ul>
            ) : view.triage?.facts.logs ? (
              <p>{view.triage.facts.logs.value}</p>
            ) : (
              <p class="muted">No errors known.</p>
            )}
            <h3>Failed requests</h3>
            {analysis?.failedRequests?.length ? (
              <ul class="plain-list mono">
                {analysis.failedRequests.map((r, n) => (
                  <li key={n}>
                    {r.method ?? ''} {r.url ?? ''} {r.status ?? ''}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">
                {view.recording?.analyzed
                  ? 'Not listed here: the replay above and the ticket show them.'
                  : 'No recording was analysed.'}
              </p>
            )}
          </section>

          <section aria-labelledby="sentry-title">
            <h2 id="sentry-title">Sentry</h2>
            {view.sentry?.issue ? (
              <div class="candidate">
                <p>
                  <a href={view.sentry.issue.permalink} rel="noreferrer noopener" target="_blank">
                    {view.sentry.issue.shortId}
                  </a>{' '}
                  {view.sentry.issue.title}{' '}
                  <span class="score">{percent(view.sentry.issue.score)}</span>
                </p>
                <ul class="reasons">
                  {view.sentry.issue.reasons.map((r, n) => (
                    <li key={n}>{r}</li>
                  ))}
                </ul>
              </div>
            ) : (
              <p class="muted">
                {view.sentry
                  ? `No Sentry issue matched (${view.sentry.status}).`
                  : 'Sentry was not consulted.'}
              </p>
            )}
            {view.sentry?.candidates.length ? (
              <ul class="plain-list">
                {view.sentry.candidates.map((c) => (
                  <li key={c.issueId}>
                    {c.shortId ?? c.issueId} {c.title ?? ''} · {percent(c.score)} ·{' '}
                    {c.reasons.join('; ')}
                  </li>
                ))}
              </ul>
            ) : null}
          </section>

          <section aria-labelledby="dupes-title">
            <h2 id="dupes-title">Duplicate candidates</h2>
            {candidates.length ? (
              <div class="side-by-side">
                <div class="candidate this-report">
                  <h3>This report</h3>
                  <p>{title}</p>
                  {words ? <p class="excerpt">{words.slice(0, 280)}</p> : null}
                </div>
                {candidates.map((c, n) => (
                  <div class="candidate" key={`${c.key ?? ''}${n}`}>
                    <h3>
                      {c.key ?? 'A report'} <span class="score">{percent(c.score)}</span>
                    </h3>
                    <p>{c.title}</p>
                    <ul class="reasons">
                      {c.reasons.map((r, i) => (
                        <li key={i}>{r}</li>
                      ))}
                    </ul>
                    {c.key && waiting ? (
                      <button type="button" disabled={busy} onClick={() => merge(c.key!)}>
                        Merge into {c.key}
                      </button>
                    ) : null}
                  </div>
                ))}
              </div>
            ) : (
              <p class="muted">
                {view.dedupe
                  ? 'No similar ticket was found.'
                  : 'Not compared with other tickets yet.'}
              </p>
            )}
          </section>

          <section aria-labelledby="trace-title">
            <h2 id="trace-title">The agent's trace</h2>
            {trace?.steps.length ? (
              <ol class="trace">
                {trace.steps.map((s) => (
                  <li key={`${s.run}-${s.seq}`}>
                    <span class="tool">{s.tool}</span> <span>{s.result}</span>
                    {s.reason ? <span class="muted"> · {s.reason}</span> : null}
                  </li>
                ))}
              </ol>
            ) : (
              <p class="muted">No steps recorded.</p>
            )}
          </section>
        </div>

        <aside class="report-side" aria-label="Decide">
          <section aria-labelledby="proposal-title">
            <h2 id="proposal-title">Proposed ticket</h2>
            {view.triage?.humanDecision ? (
              <p class="muted">
                Decided: {view.triage.humanDecision.action.replace(/_/g, ' ')}
                {view.triage.humanDecision.reason ? ` (${view.triage.humanDecision.reason})` : ''}
              </p>
            ) : null}
            <form
              class="stack"
              onSubmit={(e) => {
                e.preventDefault();
                approve(true);
              }}
            >
              <FormError
                error={decisionError}
                fields={['title', 'summary', 'steps', 'expected', 'actual', 'severity', 'labels']}
              />
              <Field id="t-title" name="title" label="Title" error={decisionError}>
                {(aria) => (
                  <input {...aria} ref={titleRef} value={draft.title} onInput={set('title')} />
                )}
              </Field>
              <Field id="t-summary" name="summary" label="Summary" error={decisionError}>
                {(aria) => (
                  <textarea {...aria} rows={4} value={draft.summary} onInput={set('summary')} />
                )}
              </Field>
              <Field
                id="t-steps"
                name="steps"
                label="Steps to reproduce"
                hint="One step a line"
                error={decisionError}
              >
                {(aria) => (
                  <textarea {...aria} rows={4} value={draft.steps} onInput={set('steps')} />
                )}
              </Field>
              <Field id="t-expected" name="expected" label="Expected" error={decisionError}>
                {(aria) => <input {...aria} value={draft.expected} onInput={set('expected')} />}
              </Field>
              <Field id="t-actual" name="actual" label="Actual" error={decisionError}>
                {(aria) => <input {...aria} value={draft.actual} onInput={set('actual')} />}
              </Field>
              <Field id="t-severity" name="severity" label="Severity" error={decisionError}>
                {(aria) => (
                  <select {...aria} value={draft.severity} onChange={set('severity')}>
                    {SEVERITIES.map((s) => (
                      <option key={s} value={s}>
                        {s}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field
                id="t-labels"
                name="labels"
                label="Labels"
                hint="Separated by commas"
                error={decisionError}
              >
                {(aria) => <input {...aria} value={draft.labels} onInput={set('labels')} />}
              </Field>
              <div class="buttons">
                <button
                  type="button"
                  class="primary"
                  disabled={!waiting || busy}
                  onClick={() => approve(false)}
                >
                  Approve
                </button>
                <button type="submit" disabled={!waiting || busy || !edited}>
                  Approve with edits
                </button>
              </div>
            </form>
          </section>

          <section aria-labelledby="merge-title">
            <h2 id="merge-title">Merge</h2>
            <form
              class="stack"
              onSubmit={(e) => {
                e.preventDefault();
                merge(mergeTarget);
              }}
            >
              <FormError error={mergeError} fields={['target']} />
              <Field
                id="merge-target"
                name="target"
                label="Ticket key"
                hint="A candidate's key or any ticket's (ENG-42, #17)"
                error={mergeError}
              >
                {(aria) => (
                  <input
                    {...aria}
                    ref={mergeRef}
                    value={mergeTarget}
                    onInput={(e) => setMergeTarget(e.currentTarget.value)}
                  />
                )}
              </Field>
              <button type="submit" disabled={!waiting || busy || !mergeTarget.trim()}>
                Merge
              </button>
            </form>
          </section>

          <section aria-labelledby="reject-title">
            <h2 id="reject-title">Reject</h2>
            <form
              class="stack"
              onSubmit={(e) => {
                e.preventDefault();
                reject();
              }}
            >
              <FormError error={rejectError} fields={['reason']} />
              <Field id="reject-reason" name="reason" label="Reason" error={rejectError}>
                {(aria) => (
                  <textarea
                    {...aria}
                    ref={reasonRef}
                    rows={3}
                    value={reason}
                    onInput={(e) => setReason(e.currentTarget.value)}
                  />
                )}
              </Field>
              <button type="submit" class="danger" disabled={!waiting || busy || !reason.trim()}>
                Reject
              </button>
            </form>
          </section>
        </aside>
      </div>
      <KeysDialog open={keysOpen} keys={REPORT_KEYS} onClose={() => setKeysOpen(false)} />
    </article>
  );
}
