/** Settings: the agent's policy and where tickets go. */
import { useState } from 'preact/hooks';
import {
  commaList,
  type Policy,
  type PolicySettings,
  type Provider,
  PROVIDERS,
  SEVERITIES,
  settingsApi,
  TOOL_NAMES,
  type TrackerSettings,
} from '../settings-api';
import { formatDate } from '../ui';
import { Choices, Labelled, messageFor, Outcome, useRequest } from './settings-form';

interface PolicyForm {
  autoFileThreshold: string;
  approvalSeverities: string[];
  approvalTiers: string;
  maxQuestions: string;
  allowedTools: string[];
  allowReporterEmail: boolean;
  onClarifyTimeout: string;
  logs: string;
  version: string;
  latest: string;
  versioned: string;
}

function policyForm(p: Policy): PolicyForm {
  return {
    autoFileThreshold: String(p.autoFileThreshold),
    approvalSeverities: p.approvalSeverities,
    approvalTiers: p.approvalTiers.join(', '),
    maxQuestions: String(p.maxQuestions),
    allowedTools: p.allowedTools,
    allowReporterEmail: p.allowReporterEmail,
    onClarifyTimeout: p.onClarifyTimeout,
    logs: p.questionHints.logs ?? '',
    version: p.questionHints.version ?? '',
    latest: p.questionHints.latest ?? '',
    versioned:
      p.questionHints.versioned === undefined ? '' : p.questionHints.versioned ? 'yes' : 'no',
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A number field's value as sent: the number, or the text itself for the server to name. */
const numberOf = (text: string): number | string | null =>
  text.trim() === '' ? null : Number.isFinite(Number(text)) ? Number(text) : text;

export function PolicySection(props: { initial: PolicySettings }) {
  const [saved, setSaved] = useState(props.initial);
  const [form, setForm] = useState(() => policyForm(props.initial.effective));
  const request = useRequest();
  const set = <K extends keyof PolicyForm>(key: K, value: PolicyForm[K]) =>
    setForm({ ...form, [key]: value });
  const err = (name: string) => messageFor(request.errors, name);

  const save = (event: Event) => {
    event.preventDefault();
    void request.run(async () => {
      const was = saved.effective;
      const changes: Record<string, unknown> = {};
      const wanted: Partial<Record<keyof Policy, unknown>> = {
        autoFileThreshold: numberOf(form.autoFileThreshold),
        approvalSeverities: form.approvalSeverities,
        approvalTiers: commaList(form.approvalTiers),
        maxQuestions: numberOf(form.maxQuestions),
        allowedTools: form.allowedTools,
        allowReporterEmail: form.allowReporterEmail,
        onClarifyTimeout: form.onClarifyTimeout,
      };
      for (const [key, value] of Object.entries(wanted)) {
        if (!same(value, was[key as keyof Policy])) changes[key] = value;
      }
      const hints: Record<string, unknown> = {};
      if (form.logs.trim()) hints.logs = form.logs.trim();
      if (form.version.trim()) hints.version = form.version.trim();
      if (form.latest.trim()) hints.latest = form.latest.trim();
      if (form.versioned) hints.versioned = form.versioned === 'yes';
      const hintsChanged = !same(hints, { ...was.questionHints });
      if (!Object.keys(changes).length && !hintsChanged) return 'Nothing to save: no change.';
      // Hints merge one by one on the server, so a hint taken away needs the set cleared first.
      const removed = Object.keys(was.questionHints).some((k) => !(k in hints));
      let next = await settingsApi.policy({
        ...changes,
        ...(hintsChanged ? { questionHints: removed ? null : hints } : {}),
      });
      if (hintsChanged && removed && Object.keys(hints).length) {
        next = await settingsApi.policy({ questionHints: hints });
      }
      setSaved(next);
      setForm(policyForm(next.effective));
      return 'Agent policy saved. The next report is triaged with it.';
    });
  };

  return (
    <form class="stack" noValidate onSubmit={save} aria-labelledby="policy-title">
      <div class="settings-grid">
        <Labelled
          id="policy-threshold"
          label="Auto-file threshold"
          hint="File without a person when the agent is at least this confident (0 to 1)."
          error={err('autoFileThreshold')}
        >
          {(aria) => (
            <input
              {...aria}
              type="number"
              inputMode="decimal"
              step="0.05"
              min="0"
              max="1"
              value={form.autoFileThreshold}
              onInput={(e) => set('autoFileThreshold', e.currentTarget.value)}
            />
          )}
        </Labelled>
        <Labelled
          id="policy-max-questions"
          label="Questions at most"
          hint="Questions the agent may ask a reporter in all (0 to 10)."
          error={err('maxQuestions')}
        >
          {(aria) => (
            <input
              {...aria}
              type="number"
              inputMode="numeric"
              step="1"
              min="0"
              max="10"
              value={form.maxQuestions}
              onInput={(e) => set('maxQuestions', e.currentTarget.value)}
            />
          )}
        </Labelled>
        <Labelled
          id="policy-timeout"
          label="When a reporter does not answer"
          error={err('onClarifyTimeout')}
        >
          {(aria) => (
            <select
              {...aria}
              value={form.onClarifyTimeout}
              onChange={(e) => set('onClarifyTimeout', e.currentTarget.value)}
            >
              <option value="proceed">Go on with what is known</option>
              <option value="needs_human">Hand the report to a person</option>
            </select>
          )}
        </Labelled>
        <Labelled
          id="policy-tiers"
          label="Account tiers that need approval"
          hint="Comma-separated, e.g. enterprise, pro."
          error={err('approvalTiers')}
        >
          {(aria) => (
            <input
              {...aria}
              type="text"
              value={form.approvalTiers}
              onInput={(e) => set('approvalTiers', e.currentTarget.value)}
            />
          )}
        </Labelled>
      </div>
      <Choices
        id="policy-severities"
        legend="Severities that need a person's approval"
        choices={SEVERITIES}
        value={form.approvalSeverities}
        onChange={(v) => set('approvalSeverities', v)}
        error={err('approvalSeverities')}
      />
      <Choices
        id="policy-tools"
        legend="Tools the agent may use alone"
        hint="A decision whose tool is not allowed goes to a person."
        choices={TOOL_NAMES}
        value={form.allowedTools}
        onChange={(v) => set('allowedTools', v)}
        error={err('allowedTools')}
      />
      <label class="check">
        <input
          type="checkbox"
          checked={form.allowReporterEmail}
          aria-describedby={err('allowReporterEmail') ? 'policy-email-error' : undefined}
          onChange={(e) => set('allowReporterEmail', e.currentTarget.checked)}
        />
        <span>Keep the reporter's email address in what the agent and the ticket see</span>
      </label>
      {err('allowReporterEmail') ? (
        <span class="field-error" id="policy-email-error">
          {err('allowReporterEmail')}
        </span>
      ) : null}
      <fieldset class="choices">
        <legend>Question hints (your product's own words)</legend>
        <div class="settings-grid">
          <Labelled
            id="hint-logs"
            label="Where the logs are"
            hint="e.g. Help → Show Logs"
            error={err('questionHints.logs')}
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                value={form.logs}
                onInput={(e) => set('logs', e.currentTarget.value)}
              />
            )}
          </Labelled>
          <Labelled
            id="hint-version"
            label="Where the version is shown"
            hint="e.g. Help → About"
            error={err('questionHints.version')}
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                value={form.version}
                onInput={(e) => set('version', e.currentTarget.value)}
              />
            )}
          </Labelled>
          <Labelled
            id="hint-latest"
            label="The newest version"
            hint="A version or where to get it."
            error={err('questionHints.latest')}
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                value={form.latest}
                onInput={(e) => set('latest', e.currentTarget.value)}
              />
            )}
          </Labelled>
          <Labelled
            id="hint-versioned"
            label="Reporters run their own version"
            error={err('questionHints.versioned')}
          >
            {(aria) => (
              <select
                {...aria}
                value={form.versioned}
                onChange={(e) => set('versioned', e.currentTarget.value)}
              >
                <option value="">Judge from each report</option>
                <option value="yes">Yes (an app or self-hosted)</option>
                <option value="no">No (one hosted version)</option>
              </select>
            )}
          </Labelled>
        </div>
      </fieldset>
      <Outcome
        error={request.error}
        notice={request.notice}
        fields={[
          'autoFileThreshold',
          'maxQuestions',
          'onClarifyTimeout',
          'approvalTiers',
          'approvalSeverities',
          'allowedTools',
          'allowReporterEmail',
          'questionHints',
        ]}
      />
      <div class="buttons">
        <button type="submit" class="primary" disabled={request.busy}>
          Save agent policy
        </button>
      </div>
    </form>
  );
}

const PROVIDER_LABELS: Record<Provider, string> = {
  builtin: 'Built-in tracker',
  linear: 'Linear',
  github: 'GitHub',
};
const NEEDS: Record<Provider, string> = {
  builtin: '',
  linear: 'LINEAR_API_KEY',
  github: 'GITHUB_TOKEN',
};

interface TrackerForm {
  provider: Provider;
  team: string;
  labels: string;
  state: string;
  repo: string;
  assignees: string;
}

function trackerForm(t: TrackerSettings): TrackerForm {
  return {
    provider: t.provider,
    team: t.settings.team ?? '',
    labels: (t.settings.labels ?? []).join(', '),
    state: t.settings.state ?? '',
    repo: t.settings.repo ?? '',
    assignees: (t.settings.assignees ?? []).join(', '),
  };
}

export function TrackerSection(props: { initial: TrackerSettings }) {
  const [saved, setSaved] = useState(props.initial);
  const [form, setForm] = useState(() => trackerForm(props.initial));
  const request = useRequest();
  const set = <K extends keyof TrackerForm>(key: K, value: TrackerForm[K]) =>
    setForm({ ...form, [key]: value });
  const err = (name: string) => messageFor(request.errors, name);

  const save = (event: Event) => {
    event.preventDefault();
    void request.run(async () => {
      const was = trackerForm(saved);
      const changes: Record<string, unknown> = {};
      if (form.provider !== was.provider) changes.provider = form.provider;
      for (const key of ['team', 'state', 'repo'] as const) {
        if (form[key].trim() !== was[key]) changes[key] = form[key].trim() || null;
      }
      for (const key of ['labels', 'assignees'] as const) {
        const list = commaList(form[key]);
        if (!same(list, commaList(was[key]))) changes[key] = list.length ? list : null;
      }
      if (!Object.keys(changes).length) return 'Nothing to save: no change.';
      const next = await settingsApi.tracker(changes);
      setSaved(next);
      setForm(trackerForm(next));
      return 'Ticket destination saved.';
    });
  };

  const p = form.provider;
  return (
    <form class="stack" noValidate onSubmit={save} aria-labelledby="tracker-title">
      <p class="status-line">
        <span class="muted">Now: </span>
        {PROVIDER_LABELS[saved.provider]}
        {' · '}
        {saved.status === 'ok' ? (
          <span>working</span>
        ) : (
          <span class="field-error">
            misconfigured{saved.since ? ` since ${formatDate(saved.since)}` : ''}
            {saved.error ? `: ${saved.error}` : ''}
          </span>
        )}
        {saved.provider !== 'builtin' ? (
          <span class="muted">
            {' · '}credential {saved.hasToken ? 'set in the environment' : 'missing'}
          </span>
        ) : null}
      </p>
      <div class="settings-grid">
        <Labelled
          id="tracker-provider"
          label="Destination"
          hint="Credentials stay in the environment; a provider without one cannot be chosen."
          error={err('provider') ?? err('token') ?? err('apiKey')}
        >
          {(aria) => (
            <select
              {...aria}
              value={form.provider}
              onChange={(e) => set('provider', e.currentTarget.value as Provider)}
            >
              {PROVIDERS.map((provider) => (
                <option
                  key={provider}
                  value={provider}
                  disabled={!saved.available[provider] && provider !== saved.provider}
                >
                  {PROVIDER_LABELS[provider]}
                  {saved.available[provider] ? '' : ` (needs ${NEEDS[provider]})`}
                </option>
              ))}
            </select>
          )}
        </Labelled>
        {p === 'linear' ? (
          <Labelled id="tracker-team" label="Linear team key" error={err('team')}>
            {(aria) => (
              <input
                {...aria}
                type="text"
                value={form.team}
                onInput={(e) => set('team', e.currentTarget.value)}
              />
            )}
          </Labelled>
        ) : null}
        {p === 'linear' ? (
          <Labelled id="tracker-state" label="Workflow state for new issues" error={err('state')}>
            {(aria) => (
              <input
                {...aria}
                type="text"
                value={form.state}
                onInput={(e) => set('state', e.currentTarget.value)}
              />
            )}
          </Labelled>
        ) : null}
        {p === 'github' ? (
          <Labelled id="tracker-repo" label="Repository" hint="owner/name" error={err('repo')}>
            {(aria) => (
              <input
                {...aria}
                type="text"
                value={form.repo}
                onInput={(e) => set('repo', e.currentTarget.value)}
              />
            )}
          </Labelled>
        ) : null}
        {p === 'github' ? (
          <Labelled
            id="tracker-assignees"
            label="Assignees"
            hint="GitHub logins, comma-separated."
            error={err('assignees')}
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                value={form.assignees}
                onInput={(e) => set('assignees', e.currentTarget.value)}
              />
            )}
          </Labelled>
        ) : null}
        {p !== 'builtin' ? (
          <Labelled
            id="tracker-labels"
            label="Labels"
            hint="Comma-separated."
            error={err('labels')}
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                value={form.labels}
                onInput={(e) => set('labels', e.currentTarget.value)}
              />
            )}
          </Labelled>
        ) : null}
      </div>
      {p === 'builtin' ? (
        <p class="muted">Tickets are kept in Repro and open on the Tickets page.</p>
      ) : null}
      <Outcome
        error={request.error}
        notice={request.notice}
        fields={['provider', 'token', 'apiKey', 'team', 'state', 'repo', 'assignees', 'labels']}
      />
      <div class="buttons">
        <button type="submit" class="primary" disabled={request.busy}>
          Save ticket destination
        </button>
      </div>
    </form>
  );
}
