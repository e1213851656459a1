/**
 * The current project's settings, for admins: the agent's policy, where tickets go, API keys,
 * the widget, email, people and projects. A member is told so here, and the server refuses
 * them anyway (403 FORBIDDEN_ROLE).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../api';
import { type ProjectSettings, settingsApi } from '../settings-api';
import { asApiError, FormError } from '../ui';
import { ApiKeysSection, PeopleSection, ProjectsSection } from './settings-access';
import { PolicySection, TrackerSection } from './settings-agent';
import { EmailSection, WidgetSection } from './settings-delivery';

const SECTIONS = [
  ['policy', 'Agent policy'],
  ['tracker', 'Ticket destination'],
  ['api-keys', 'API keys'],
  ['widget', 'Widget'],
  ['email', 'Email'],
  ['people', 'People'],
  ['projects', 'Projects'],
] as const;
type SectionId = (typeof SECTIONS)[number][0];

const TITLES = Object.fromEntries(SECTIONS) as Record<SectionId, string>;

function Section(props: { id: SectionId; intro?: string; children: ComponentChildren }) {
  return (
    <section class="settings-section" id={props.id} aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{TITLES[props.id]}</h2>
      {props.intro ? <p class="muted intro">{props.intro}</p> : null}
      {props.children}
    </section>
  );
}

export function OnlyAdmins() {
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p class="notice">Only admins can change settings.</p>
    </section>
  );
}

export function SettingsPage(props: { admin: boolean }) {
  const [settings, setSettings] = useState<ProjectSettings | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    if (!props.admin) return;
    settingsApi.get().then(setSettings, (e) => setError(asApiError(e)));
  }, [props.admin]);

  if (!props.admin || error?.code === 'FORBIDDEN_ROLE') return <OnlyAdmins />;

  return (
    <section aria-labelledby="settings-title" class="settings">
      <h1 id="settings-title">
        Settings{settings ? <span class="muted"> · {settings.name}</span> : null}
      </h1>
      <nav aria-label="Settings sections" class="settings-nav">
        <ul>
          {SECTIONS.map(([id, title]) => (
            <li key={id}>
              <a href={`#${id}`}>{title}</a>
            </li>
          ))}
        </ul>
      </nav>
      <FormError error={error} />
      {settings === null && !error ? <p class="muted">Loading settings…</p> : null}
      {settings ? (
        <div class="settings-body">
          <Section
            id="policy"
            intro="What the triage agent may do without a person. A change applies to the next report."
          >
            <PolicySection initial={settings.policy} />
          </Section>
          <Section id="tracker" intro="Where filed reports become tickets.">
            <TrackerSection initial={settings.tracker} />
          </Section>
          <Section id="api-keys" intro="Keys for your servers and scripts to call Repro's API.">
            <ApiKeysSection />
          </Section>
          <Section id="widget" intro="The report button on your own pages.">
            <WidgetSection initial={settings.widget} />
          </Section>
          <Section id="email" intro="Reports that arrive by mail.">
            <EmailSection initial={settings.email} />
          </Section>
          <Section
            id="people"
            intro="Members reach the projects they are given; admins reach all and change settings."
          >
            <PeopleSection project={settings.slug} />
          </Section>
          <Section
            id="projects"
            intro="Each project has its own reports, keys, widget and settings."
          >
            <ProjectsSection />
          </Section>
        </div>
      ) : null}
    </section>
  );
}
