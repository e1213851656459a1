/** One ticket: its body as text, its state, its reports; built-in tickets change state here. */
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import type { TicketDetail } from '../types';
import { asApiError, formatDate, FormError, Link, StatusChip } from '../ui';

const PROVIDERS: Record<string, string> = { linear: 'Linear', github: 'GitHub' };

/** The body without Repro's own markers (`<!-- repro:report=… -->`), which are for machines. */
function readable(body: string): string {
  return body.replace(/^<!-- repro:[^\n]*-->\n*/gm, '');
}

export function TicketPage(props: { ticketKey: string }) {
  const key = props.ticketKey;
  const [ticket, setTicket] = useState<TicketDetail | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  const load = () =>
    api<TicketDetail>(`/v1/tickets/${encodeURIComponent(key)}`).then(
      (t) => {
        setTicket(t);
        setError(null);
      },
      (e) => setError(asApiError(e)),
    );

  useEffect(() => {
    void load();
  }, [key]);

  const move = async (state: 'resolved' | 'closed' | 'open', label: string) => {
    setBusy(true);
    setActionError(null);
    try {
      await api(`/v1/tickets/${encodeURIComponent(key)}`, { method: 'PATCH', body: { state } });
      setNotice(`${label}: the ticket is ${state}.`);
      await load();
    } catch (e) {
      setActionError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  if (error) {
    return (
      <section>
        <h1>Ticket {key}</h1>
        <FormError error={error} />
        <p>
          <Link href="/app/tickets">All tickets</Link>
        </p>
      </section>
    );
  }
  if (!ticket) return <p class="muted">Loading the ticket…</p>;

  const builtin = ticket.provider === 'builtin';
  const open = ticket.state === 'open';
  return (
    <article class="ticket" aria-labelledby="ticket-title">
      <p class="crumbs">
        <Link href="/app/tickets">Tickets</Link> <span aria-hidden="true">/</span>{' '}
        <span class="key">{ticket.key}</span>
      </p>
      <h1 id="ticket-title">{ticket.title}</h1>
      <div class="report-meta">
        <StatusChip status={ticket.state} />
        <span class="key">{ticket.key}</span>
        <span>{PROVIDERS[ticket.provider] ?? 'Built-in tracker'}</span>
        <time dateTime={ticket.createdAt}>{formatDate(ticket.createdAt)}</time>
        {ticket.priority ? <span>Priority {ticket.priority.level}</span> : null}
      </div>
      <p class="notice" role="status" aria-live="polite">
        {notice}
      </p>
      <FormError error={actionError} />
      <div class="buttons">
        {builtin ? (
          open ? (
            <>
              <button
                type="button"
                class="primary"
                disabled={busy}
                onClick={() => void move('resolved', 'Resolved')}
              >
                Resolve
              </button>
              <button type="button" disabled={busy} onClick={() => void move('closed', 'Closed')}>
                Close
              </button>
            </>
          ) : (
            <button type="button" disabled={busy} onClick={() => void move('open', 'Reopened')}>
              Reopen
            </button>
          )
        ) : (
          <a class="button" href={ticket.url} target="_blank" rel="noreferrer noopener">
            Open in {PROVIDERS[ticket.provider] ?? ticket.provider}
          </a>
        )}
      </div>

      <div class="report-grid">
        <div class="report-main">
          <section aria-labelledby="body-title">
            <h2 id="body-title">Ticket</h2>
            {ticket.body !== null ? (
              <pre class="ticket-body">{readable(ticket.body)}</pre>
            ) : (
              <p class="muted">The body lives in {PROVIDERS[ticket.provider] ?? 'the tracker'}.</p>
            )}
          </section>
          {ticket.comments.length ? (
            <section aria-labelledby="comments-title">
              <h2 id="comments-title">Comments</h2>
              <ol class="messages">
                {ticket.comments.map((c, n) => (
                  <li key={n} class="message">
                    <p class="message-head">
                      <time dateTime={c.createdAt}>{formatDate(c.createdAt)}</time>
                    </p>
                    <pre class="ticket-body">{c.body}</pre>
                  </li>
                ))}
              </ol>
            </section>
          ) : null}
        </div>
        <aside class="report-side" aria-label="Reports and accounts">
          <section aria-labelledby="linked-title">
            <h2 id="linked-title">Reports ({ticket.reports.length})</h2>
            <ul class="linked">
              {ticket.reports.map((r) => (
                <li key={r.id} data-report-id={r.id}>
                  {r.status ? <StatusChip status={r.status} /> : null}{' '}
                  <Link href={`/app/reports/${r.id}`}>
                    {r.reporter?.name ?? r.reporter?.email ?? `Report ${r.id.slice(0, 8)}`}
                  </Link>
                  {r.account ? (
                    <span class="muted">
                      {' '}
                      · {r.account.name ?? r.account.id}
                      {r.account.tier ? ` (${r.account.tier})` : ''}
                    </span>
                  ) : null}
                  {r.relation ? <span class="muted"> · {r.relation}</span> : null}
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="accounts-title">
            <h2 id="accounts-title">Accounts</h2>
            {ticket.accounts?.length ? (
              <ul class="linked">
                {ticket.accounts.map((a) => (
                  <li key={a.id}>
                    {a.name ?? a.id}
                    {a.tier ? <span class="muted"> · {a.tier}</span> : null}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">
                {ticket.accountCount === 1 ? '1 account' : `${ticket.accountCount} accounts`}
              </p>
            )}
          </section>
        </aside>
      </div>
    </article>
  );
}
