/** Settings: how reports come in (the widget on customers' pages, and email). */
import { useState } from 'preact/hooks';
import { type EmailSettings, lines, settingsApi, type WidgetSettings } from '../settings-api';
import { Confirmed, Labelled, messageFor, Outcome, ShownOnce, useRequest } from './settings-form';

/** "allowedOrigins.2: …" read as the line the person typed it on. */
function lineMessage(errors: Map<string, string>, name: string): string | null {
  for (const [field, message] of errors) {
    const m = new RegExp(`^${name}\\.(\\d+)$`).exec(field);
    if (m) return `Line ${Number(m[1]) + 1}: ${message}`;
  }
  return messageFor(errors, name);
}

export function WidgetSection(props: { initial: WidgetSettings }) {
  const [saved, setSaved] = useState(props.initial);
  const [origins, setOrigins] = useState(props.initial.allowedOrigins.join('\n'));
  const [showTicketKey, setShowTicketKey] = useState(props.initial.showTicketKey);
  const request = useRequest();
  const rotating = useRequest();

  const save = (event: Event) => {
    event.preventDefault();
    void request.run(async () => {
      const next = await settingsApi.widget({ allowedOrigins: lines(origins), showTicketKey });
      setSaved(next);
      setOrigins(next.allowedOrigins.join('\n'));
      setShowTicketKey(next.showTicketKey);
      return 'Widget settings saved.';
    });
  };
  const rotate = () =>
    void rotating.run(async () => {
      setSaved(await settingsApi.rotateWidgetKey());
      return 'New widget key issued: the old one is refused from now on. Put the new snippet on your pages.';
    });

  const originsError = lineMessage(request.errors, 'allowedOrigins');
  return (
    <div class="stack">
      <p class="status-line">
        <span class="muted">Key: </span>
        <span class="mono">{saved.key}</span>{' '}
        <Confirmed
          label="Rotate key"
          question="Issue a new widget key? Pages with the old snippet stop working."
          confirm="Rotate widget key"
          busy={rotating.busy}
          onConfirm={rotate}
        />
      </p>
      <Outcome error={rotating.error} notice={rotating.notice} fields={[]} />
      <form class="stack" noValidate onSubmit={save} aria-label="Widget settings">
        <Labelled
          id="widget-origins"
          label="Allowed origins"
          hint={`One per line, like https://app.example.com. ${saved.ownOrigin} is always allowed.`}
          error={originsError}
        >
          {(aria) => (
            <textarea
              {...aria}
              rows={4}
              class="mono"
              spellcheck={false}
              value={origins}
              onInput={(e) => setOrigins(e.currentTarget.value)}
            />
          )}
        </Labelled>
        <label class="check">
          <input
            type="checkbox"
            checked={showTicketKey}
            onChange={(e) => setShowTicketKey(e.currentTarget.checked)}
          />
          <span>Show reporters the ticket key once their report is filed</span>
        </label>
        <Outcome
          error={request.error}
          notice={request.notice}
          fields={['allowedOrigins', 'showTicketKey']}
        />
        <div class="buttons">
          <button type="submit" class="primary" disabled={request.busy}>
            Save widget settings
          </button>
        </div>
      </form>
      <ShownOnce
        id="widget-snippet"
        label="Install snippet"
        value={saved.snippet}
        hint="Add it to every page that should have the report button."
        multiline
        plain
      />
    </div>
  );
}

/** The domain → account map as lines of "domain = account". */
const mapText = (map: Record<string, string>) =>
  Object.entries(map)
    .map(([domain, account]) => `${domain} = ${account}`)
    .join('\n');

function parseMap(text: string): { map: Record<string, string>; bad: number | null } {
  const map: Record<string, string> = {};
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i].trim();
    if (!row) continue;
    const at = row.search(/[=:]/);
    if (at < 1) return { map, bad: i };
    map[row.slice(0, at).trim()] = row.slice(at + 1).trim();
  }
  return { map, bad: null };
}

export function EmailSection(props: { initial: EmailSettings }) {
  const [saved, setSaved] = useState(props.initial);
  const [staff, setStaff] = useState(props.initial.staffSenders.join('\n'));
  const [unknown, setUnknown] = useState<string>(props.initial.unknownSenders);
  const [questionsTo, setQuestionsTo] = useState<string>(props.initial.questionsTo);
  const [domains, setDomains] = useState(mapText(props.initial.domainAccounts));
  const [mapProblem, setMapProblem] = useState<string | null>(null);
  const request = useRequest();

  const save = (event: Event) => {
    event.preventDefault();
    const parsed = parseMap(domains);
    if (parsed.bad !== null) {
      setMapProblem(`Line ${parsed.bad + 1}: write it as domain = account id.`);
      return;
    }
    setMapProblem(null);
    void request.run(async () => {
      const next = await settingsApi.email({
        staffSenders: lines(staff),
        unknownSenders: unknown,
        questionsTo,
        domainAccounts: parsed.map,
      });
      setSaved(next);
      setStaff(next.staffSenders.join('\n'));
      setDomains(mapText(next.domainAccounts));
      return 'Email settings saved.';
    });
  };

  return (
    <form class="stack" noValidate onSubmit={save} aria-label="Email settings">
      <p class="status-line">
        <span class="muted">Forward mail to: </span>
        <span class="mono">{saved.smtpAddress ?? saved.inboundUrl}</span>
      </p>
      <div class="settings-grid">
        <Labelled
          id="email-staff"
          label="Staff senders"
          hint="Addresses or @domains, one per line: their forwards are reports for a customer."
          error={lineMessage(request.errors, 'staffSenders')}
        >
          {(aria) => (
            <textarea
              {...aria}
              rows={4}
              class="mono"
              spellcheck={false}
              value={staff}
              onInput={(e) => setStaff(e.currentTarget.value)}
            />
          )}
        </Labelled>
        <Labelled
          id="email-domains"
          label="Domain → account"
          hint="One per line: customer.io = acct_42."
          error={mapProblem ?? messageFor(request.errors, 'domainAccounts')}
        >
          {(aria) => (
            <textarea
              {...aria}
              rows={4}
              class="mono"
              spellcheck={false}
              value={domains}
              onInput={(e) => setDomains(e.currentTarget.value)}
            />
          )}
        </Labelled>
        <Labelled
          id="email-unknown"
          label="Mail from unknown senders"
          error={messageFor(request.errors, 'unknownSenders')}
        >
          {(aria) => (
            <select {...aria} value={unknown} onChange={(e) => setUnknown(e.currentTarget.value)}>
              <option value="report">Take it as a report</option>
              <option value="refuse">Refuse it</option>
            </select>
          )}
        </Labelled>
        <Labelled
          id="email-questions"
          label="Questions about a forwarded mail go to"
          error={messageFor(request.errors, 'questionsTo')}
        >
          {(aria) => (
            <select
              {...aria}
              value={questionsTo}
              onChange={(e) => setQuestionsTo(e.currentTarget.value)}
            >
              <option value="reporter">The customer who wrote it</option>
              <option value="forwarder">The staff member who forwarded it</option>
            </select>
          )}
        </Labelled>
      </div>
      <Outcome
        error={request.error}
        notice={request.notice}
        fields={['staffSenders', 'domainAccounts', 'unknownSenders', 'questionsTo']}
      />
      <div class="buttons">
        <button type="submit" class="primary" disabled={request.busy}>
          Save email settings
        </button>
      </div>
    </form>
  );
}
