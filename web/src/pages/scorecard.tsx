/** The seed's measures per week (GET /v1/scorecard), oldest first, for everyone. */
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../api';
import { type ScorecardWeek, settingsApi } from '../settings-api';
import { asApiError, FormError } from '../ui';

const DASH = '–';
const WEEK_CHOICES = [4, 8, 12, 26, 52];

const percent = (rate: number | null) => (rate === null ? DASH : `${Math.round(rate * 100)}%`);

/** 42 min, 3 h 5 min, 2 d 4 h. */
export function duration(minutes: number | null): string {
  if (minutes === null) return DASH;
  const m = Math.round(minutes);
  if (m < 1) return 'under 1 min';
  if (m < 60) return `${m} min`;
  if (m < 24 * 60) return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const hours = Math.round(m / 60);
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

const decimal = (value: number | null) =>
  value === null ? DASH : value.toLocaleString(undefined, { maximumFractionDigits: 1 });

function weekLabel(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // Weeks start Monday 00:00 UTC: shown as that UTC date, not the viewer's local one.
  return date.toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
}

/** Each measure and the README's definition, in the table's order. */
const MEASURES: [string, string][] = [
  ['Reports', 'reports that arrived in the week; every other figure is about them.'],
  [
    'Filed or merged without a person',
    'share filed or merged into a ticket and never handed to a person (autonomous resolution rate).',
  ],
  ['Handed to a person', 'share handed to a person at least once, whatever they then decided.'],
  [
    'Median time to ticket',
    'median time from arrival to the first filing or merge, over the reports that got one.',
  ],
  ['Questions per report', 'questions the agent asked, per report of the week.'],
  ['Answered', 'of the reports asked at least one question, the share whose reporter answered.'],
  ['Duplicates merged', 'reports merged into an existing ticket, by the agent or a person.'],
  ['Accounts affected', "distinct customer accounts among the week's reports."],
];

export function ScorecardPage() {
  const [weeks, setWeeks] = useState(8);
  const [rows, setRows] = useState<ScorecardWeek[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    setError(null);
    settingsApi.scorecard(weeks).then(
      (card) => setRows(card.weeks),
      (e) => setError(asApiError(e)),
    );
  }, [weeks]);

  const newestFirst = rows ? [...rows].reverse() : [];
  return (
    <section aria-labelledby="scorecard-title" class="scorecard">
      <div class="page-head">
        <h1 id="scorecard-title">Scorecard</h1>
        <div class="field compact">
          <label for="scorecard-weeks">Weeks</label>
          <select
            id="scorecard-weeks"
            value={String(weeks)}
            onChange={(e) => setWeeks(Number(e.currentTarget.value))}
          >
            {WEEK_CHOICES.map((n) => (
              <option key={n} value={String(n)}>
                {`Last ${n} weeks`}
              </option>
            ))}
          </select>
        </div>
      </div>
      <FormError error={error} />
      <p class="muted">Newest week first; weeks start on Monday at 00:00 UTC.</p>
      {rows === null && !error ? <p class="muted">Loading the scorecard…</p> : null}
      {rows ? (
        <div
          class="table-wrap scorecard-wrap"
          role="region"
          aria-labelledby="scorecard-caption"
          tabIndex={0}
        >
          <table>
            <caption id="scorecard-caption">How triage went, per week</caption>
            <thead>
              <tr>
                <th scope="col">Week starting</th>
                {MEASURES.map(([name]) => (
                  <th scope="col" key={name} class="num">
                    {name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {newestFirst.map((w) => {
                const empty = w.reports === 0;
                return (
                  <tr key={w.weekStart} class={empty ? 'empty-week' : undefined}>
                    <th scope="row">
                      <time dateTime={w.weekStart}>{weekLabel(w.weekStart)}</time>
                    </th>
                    <td class="num">{empty ? DASH : w.reports}</td>
                    <td class="num">{percent(w.autonomousRate)}</td>
                    <td class="num">{percent(w.handedToPersonRate)}</td>
                    <td class="num">{duration(w.medianMinutesToTicket)}</td>
                    <td class="num">{decimal(w.questionsPerReport)}</td>
                    <td class="num">{percent(w.answeredRate)}</td>
                    <td class="num">{empty ? DASH : w.duplicatesMerged}</td>
                    <td class="num">{empty ? DASH : w.accountsAffected}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <h2 class="definitions-title">What each measure means</h2>
      <dl class="definitions">
        {MEASURES.map(([name, definition]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{definition}</dd>
          </div>
        ))}
      </dl>
      <p class="muted">
        Every figure is about the reports that arrived that week, whenever their outcome came. A{' '}
        {DASH} means the week had nothing to measure.
      </p>
    </section>
  );
}
