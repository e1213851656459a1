/** The inbox: reports that wait for a person first, filters, counts, and the triage keys. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { KeysDialog } from '../keys';
import { listed } from '../listed';
import { navigate } from '../router';
import type { ReportList, ReportListItem } from '../types';
import { asApiError, formatDate, FormError, Link, StatusChip, statusLabel, typing } from '../ui';

const STATUS_ORDER = [
  'needs_human',
  'clarifying',
  'received',
  'analyzing',
  'deduping',
  'filing',
  'filed',
  'duplicate',
  'resolved',
  'closed',
  'rejected',
  'failed',
];

interface Filters {
  status: string;
  source: string;
  account: string;
  tier: string;
  from: string;
  to: string;
  q: string;
}

const FILTER_KEYS: (keyof Filters)[] = ['status', 'source', 'account', 'tier', 'from', 'to', 'q'];

function filtersFromUrl(): Filters {
  const params = new URLSearchParams(location.search);
  const f = {} as Filters;
  for (const key of FILTER_KEYS) f[key] = params.get(key) ?? '';
  return f;
}

/** The API's query: dates become the start of the first day and the end of the last. */
function query(filters: Filters, cursor: string | null): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key].trim();
    if (!value) continue;
    if (key === 'from') params.set('from', new Date(`${value}T00:00:00`).toISOString());
    else if (key === 'to') params.set('to', new Date(`${value}T23:59:59.999`).toISOString());
    else params.set(key, value);
  }
  if (cursor) params.set('cursor', cursor);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export const INBOX_KEYS: [string, string][] = [
  ['j / k', 'Next / previous report'],
  ['Enter', 'Open the report'],
  ['a', 'Approve the proposed ticket'],
  ['m', 'Merge into a ticket'],
  ['r', 'Reject with a reason'],
  ['/', 'Search'],
  ['?', 'Show these keys'],
];

export function InboxPage() {
  const [filters, setFilters] = useState<Filters>(filtersFromUrl);
  const [search, setSearch] = useState(filters.q);
  const [list, setList] = useState<ReportList | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [selected, setSelectedState] = useState(0);
  // Read by the key handler: a key pressed right after a focus change acts on the new row.
  const selectedRef = useRef(0);
  const setSelected = (next: number | ((n: number) => number)) => {
    const value = typeof next === 'function' ? next(selectedRef.current) : next;
    selectedRef.current = value;
    setSelectedState(value);
  };
  const [notice, setNotice] = useState('');
  const [keysOpen, setKeysOpen] = useState(false);
  const [reload, setReload] = useState(0);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLOListElement>(null);

  useEffect(() => {
    // The filters live in the address, so Back from a report returns to the same list.
    history.replaceState(null, '', `/app${query(filters, null)}`);
    let current = true;
    setError(null);
    api<ReportList>(`/v1/reports${query(filters, null)}`).then(
      (result) => {
        if (!current) return;
        for (const item of result.items) listed.set(item.id, item);
        setList(result);
        setSelected((n) => Math.min(n, Math.max(result.items.length - 1, 0)));
      },
      (e) => current && setError(asApiError(e)),
    );
    return () => {
      current = false;
    };
  }, [filters, reload]);

  // The search box filters as one types, a moment after the last key.
  useEffect(() => {
    if (search === filters.q) return;
    const timer = setTimeout(() => setFilters((f) => ({ ...f, q: search })), 250);
    return () => clearTimeout(timer);
  }, [search]);

  const items = list?.items ?? [];

  const focusRow = (index: number) => {
    setSelected(index);
    const link = listRef.current?.querySelectorAll<HTMLAnchorElement>('a.row-link')[index];
    link?.focus();
    link?.scrollIntoView({ block: 'nearest' });
  };

  const approve = async (item: ReportListItem) => {
    if (item.status !== 'needs_human') {
      setNotice(
        `Only a report waiting for a person can be approved; this one is ${statusLabel(item.status)}.`,
      );
      return;
    }
    setNotice('Approving…');
    try {
      const result = await api<{ status: string }>(`/v1/reports/${item.id}/decision`, {
        method: 'POST',
        body: { action: 'approve' },
      });
      setNotice(`Approved “${item.title}”: ${statusLabel(result.status)}.`);
      setReload((n) => n + 1);
    } catch (e) {
      setNotice(asApiError(e).message);
    }
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (keysOpen || typing(event)) return;
      const selected = selectedRef.current;
      const item = items[selected];
      switch (event.key) {
        case 'j':
          event.preventDefault();
          if (items.length) focusRow(Math.min(selected + 1, items.length - 1));
          break;
        case 'k':
          event.preventDefault();
          if (items.length) focusRow(Math.max(selected - 1, 0));
          break;
        case 'Enter':
          // A focused link opens itself; elsewhere Enter opens the selected report.
          if (
            item &&
            !(
              event.target instanceof HTMLAnchorElement || event.target instanceof HTMLButtonElement
            )
          ) {
            event.preventDefault();
            navigate(`/app/reports/${item.id}`);
          }
          break;
        case 'a':
          if (item) {
            event.preventDefault();
            void approve(item);
          }
          break;
        case 'm':
          if (item) {
            event.preventDefault();
            navigate(`/app/reports/${item.id}#merge`);
          }
          break;
        case 'r':
          if (item) {
            event.preventDefault();
            navigate(`/app/reports/${item.id}#reject`);
          }
          break;
        case '/':
          event.preventDefault();
          searchRef.current?.focus();
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
  }, [items, selected, keysOpen]);

  const more = async () => {
    if (!list?.nextCursor) return;
    try {
      const next = await api<ReportList>(`/v1/reports${query(filters, list.nextCursor)}`);
      for (const item of next.items) listed.set(item.id, item);
      setList({ ...next, items: [...list.items, ...next.items] });
    } catch (e) {
      setError(asApiError(e));
    }
  };

  const set = (key: keyof Filters) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement | HTMLSelectElement).value;
    setFilters((f) => ({ ...f, [key]: value }));
  };

  const counts = list?.counts ?? {};
  const statuses = STATUS_ORDER.filter((s) => counts[s]).concat(
    Object.keys(counts).filter((s) => !STATUS_ORDER.includes(s) && counts[s]),
  );
  const total = Object.values(counts).reduce((a, b) => a + b, 0);

  return (
    <section class="inbox" aria-labelledby="inbox-title">
      <div class="page-head">
        <h1 id="inbox-title">Inbox</h1>
        <button type="button" class="quiet keys-button" onClick={() => setKeysOpen(true)}>
          Keys <kbd>?</kbd>
        </button>
      </div>
      <div class="counts" role="group" aria-label="Reports by status">
        <button
          type="button"
          class="count"
          aria-pressed={filters.status === ''}
          onClick={() => setFilters((f) => ({ ...f, status: '' }))}
        >
          All <span class="n">{total}</span>
        </button>
        {statuses.map((status) => (
          <button
            type="button"
            key={status}
            class={`count count-${status}`}
            aria-pressed={filters.status === status}
            onClick={() => setFilters((f) => ({ ...f, status: f.status === status ? '' : status }))}
          >
            {statusLabel(status)} <span class="n">{counts[status]}</span>
          </button>
        ))}
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field search">
          <label for="q">Search</label>
          <input
            id="q"
            ref={searchRef}
            type="search"
            value={search}
            placeholder="Words in the report"
            onInput={(e) => setSearch(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape' || e.key === 'Enter') {
                setFilters((f) => ({ ...f, q: search }));
                if (e.key === 'Escape') e.currentTarget.blur();
              }
            }}
          />
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" value={filters.status} onChange={set('status')}>
            <option value="">Any</option>
            {STATUS_ORDER.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-source">Source</label>
          <select id="f-source" value={filters.source} onChange={set('source')}>
            <option value="">Any</option>
            <option value="widget">Widget</option>
            <option value="email">Email</option>
            <option value="api">API</option>
          </select>
        </div>
        <div class="field">
          <label for="f-account">Account</label>
          <input
            id="f-account"
            value={filters.account}
            onChange={set('account')}
            placeholder="Account id"
          />
        </div>
        <div class="field">
          <label for="f-tier">Tier</label>
          <input id="f-tier" value={filters.tier} onChange={set('tier')} />
        </div>
        <div class="field">
          <label for="f-from">From</label>
          <input id="f-from" type="date" value={filters.from} onChange={set('from')} />
        </div>
        <div class="field">
          <label for="f-to">To</label>
          <input id="f-to" type="date" value={filters.to} onChange={set('to')} />
        </div>
      </form>
      <FormError error={error} />
      <p class="notice" role="status" aria-live="polite">
        {notice}
      </p>
      {list === null && !error ? <p class="muted">Loading reports…</p> : null}
      {list && items.length === 0 ? <p class="empty">No reports match.</p> : null}
      <ol class="reports" ref={listRef} aria-label="Reports">
        {items.map((item, index) => (
          <li
            key={item.id}
            class={`report-row${index === selected ? ' selected' : ''}${item.needsPerson ? ' needs' : ''}`}
            aria-current={index === selected ? 'true' : undefined}
          >
            <div class="row-top">
              <StatusChip status={item.status} />
              <Link
                href={`/app/reports/${item.id}`}
                class="row-link"
                onFocus={() => setSelected(index)}
              >
                {item.title}
              </Link>
              <time class="muted when" dateTime={item.createdAt}>
                {formatDate(item.createdAt)}
              </time>
            </div>
            <p class="excerpt">{item.excerpt}</p>
            <div class="row-meta">
              <span>{item.source}</span>
              {item.reporter ? <span>{item.reporter.name ?? item.reporter.email}</span> : null}
              {item.account ? (
                <span>
                  {item.account.name ?? item.account.id}
                  {item.account.tier ? ` · ${item.account.tier}` : ''}
                </span>
              ) : null}
              {item.ticket ? <span class="key">{item.ticket.key}</span> : null}
            </div>
            {item.reasons.length ? (
              <ul class="reasons" aria-label="Why it waits for a person">
                {item.reasons.map((reason, n) => (
                  <li key={n}>{reason}</li>
                ))}
              </ul>
            ) : null}
          </li>
        ))}
      </ol>
      {list?.nextCursor ? (
        <button type="button" onClick={() => void more()}>
          Load more
        </button>
      ) : null}
      <KeysDialog open={keysOpen} keys={INBOX_KEYS} onClose={() => setKeysOpen(false)} />
    </section>
  );
}
