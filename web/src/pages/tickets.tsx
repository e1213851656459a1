/** The project's tickets, newest first. */
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import type { TicketSummary } from '../types';
import { asApiError, formatDate, FormError, Link, StatusChip } from '../ui';

interface TicketList {
  tickets: TicketSummary[];
  nextCursor: string | null;
}

export function TicketsPage() {
  const [list, setList] = useState<TicketList | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    api<TicketList>('/v1/tickets').then(setList, (e) => setError(asApiError(e)));
  }, []);

  const more = async () => {
    if (!list?.nextCursor) return;
    try {
      const next = await api<TicketList>(
        `/v1/tickets?cursor=${encodeURIComponent(list.nextCursor)}`,
      );
      setList({ ...next, tickets: [...list.tickets, ...next.tickets] });
    } catch (e) {
      setError(asApiError(e));
    }
  };

  return (
    <section aria-labelledby="tickets-title">
      <h1 id="tickets-title">Tickets</h1>
      <FormError error={error} />
      {list === null && !error ? <p class="muted">Loading tickets…</p> : null}
      {list?.tickets.length === 0 ? <p class="empty">No tickets yet.</p> : null}
      <ol class="reports">
        {(list?.tickets ?? []).map((t) => (
          <li key={t.key} class="report-row">
            <div class="row-top">
              <StatusChip status={t.state} />
              <span class="key">{t.key}</span>
              <Link href={`/app/tickets/${encodeURIComponent(t.key)}`} class="row-link">
                {t.title}
              </Link>
              <time class="muted when" dateTime={t.createdAt}>
                {formatDate(t.createdAt)}
              </time>
            </div>
            <div class="row-meta">
              <span>{t.reportCount === 1 ? '1 report' : `${t.reportCount} reports`}</span>
            </div>
          </li>
        ))}
      </ol>
      {list?.nextCursor ? (
        <button type="button" onClick={() => void more()}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
