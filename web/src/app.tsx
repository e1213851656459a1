/** The shell: who is signed in, the left column, and the page for the current path. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { configureApi, sessionApi } from './api';
import { InboxPage } from './pages/inbox';
import { ReportPage } from './pages/report';
import { ScorecardPage } from './pages/scorecard';
import { SettingsPage } from './pages/settings';
import { SignInPage } from './pages/sign-in';
import { TicketPage } from './pages/ticket';
import { TicketsPage } from './pages/tickets';
import { match, navigate, useLocation } from './router';
import { onProjectsChanged } from './settings-api';
import type { Session } from './types';
import { Link } from './ui';

const PROJECT_KEY = 'repro.project';

type Phase = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'in'; session: Session };

function chosenProject(session: Session): string | null {
  const saved = localStorage.getItem(PROJECT_KEY);
  if (saved && session.projects.some((p) => p.slug === saved)) return saved;
  return session.projects[0]?.slug ?? null;
}

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [project, setProject] = useState<string | null>(null);

  const enter = (session: Session) => {
    const slug = chosenProject(session);
    configureApi({ csrfToken: session.csrfToken, project: slug });
    setProject(slug);
    setPhase({ kind: 'in', session });
  };

  useEffect(() => {
    configureApi({ onSignedOut: () => setPhase({ kind: 'signed-out' }) });
    sessionApi.current().then(enter, () => setPhase({ kind: 'signed-out' }));
    // A project created in the settings joins the project list; the chosen project stays.
    return onProjectsChanged(() => {
      sessionApi.current().then(
        (session) => setPhase((now) => (now.kind === 'in' ? { kind: 'in', session } : now)),
        () => undefined,
      );
    });
  }, []);

  if (phase.kind === 'loading') {
    return (
      <main class="loading" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }
  if (phase.kind === 'signed-out') return <SignInPage onSignedIn={enter} />;

  const switchProject = (slug: string) => {
    localStorage.setItem(PROJECT_KEY, slug);
    configureApi({ project: slug });
    setProject(slug);
    navigate('/app');
  };
  const signOut = async () => {
    try {
      await sessionApi.signOut();
    } finally {
      configureApi({ csrfToken: null });
      setPhase({ kind: 'signed-out' });
      navigate('/app', { replace: true });
    }
  };
  return (
    <Shell
      session={phase.session}
      project={project}
      onProject={switchProject}
      onSignOut={() => void signOut()}
    />
  );
}

function Shell(props: {
  session: Session;
  project: string | null;
  onProject: (slug: string) => void;
  onSignOut: () => void;
}) {
  const { path } = useLocation();
  const route = match(path);
  const firstPath = useRef(path);
  // A new page moves the focus to it, as a page load would (not on the first page).
  useEffect(() => {
    if (path === firstPath.current) return;
    firstPath.current = '';
    document.getElementById('main')?.focus({ preventScroll: false });
    window.scrollTo(0, 0);
  }, [path]);
  const section =
    route.page === 'ticket' || route.page === 'tickets'
      ? 'tickets'
      : route.page === 'settings' || route.page === 'scorecard'
        ? route.page
        : 'inbox';
  const admin = props.session.user.role === 'admin';
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="side">
        <p class="brand">Repro</p>
        <div class="field compact">
          <label for="project">Project</label>
          <select
            id="project"
            value={props.project ?? ''}
            onChange={(e) => props.onProject(e.currentTarget.value)}
          >
            {props.session.projects.map((p) => (
              <option key={p.id} value={p.slug}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link
                href="/app"
                class={section === 'inbox' ? 'current' : undefined}
                current={section === 'inbox'}
              >
                Inbox
              </Link>
            </li>
            <li>
              <Link
                href="/app/tickets"
                class={section === 'tickets' ? 'current' : undefined}
                current={section === 'tickets'}
              >
                Tickets
              </Link>
            </li>
            <li>
              <Link
                href="/app/scorecard"
                class={section === 'scorecard' ? 'current' : undefined}
                current={section === 'scorecard'}
              >
                Scorecard
              </Link>
            </li>
            {admin ? (
              <li>
                <Link
                  href="/app/settings"
                  class={section === 'settings' ? 'current' : undefined}
                  current={section === 'settings'}
                >
                  Settings
                </Link>
              </li>
            ) : null}
          </ul>
        </nav>
        <div class="who">
          <span class="email">{props.session.user.email}</span>
          <button type="button" class="quiet" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {/* A new project is a new world: pages start over. */}
        <Page key={`${props.project ?? ''}:${path}`} route={route} admin={admin} />
      </main>
    </div>
  );
}

function Page(props: { route: ReturnType<typeof match>; admin: boolean }) {
  const { route } = props;
  switch (route.page) {
    case 'inbox':
      return <InboxPage />;
    case 'report':
      return <ReportPage id={route.id} />;
    case 'tickets':
      return <TicketsPage />;
    case 'ticket':
      return <TicketPage ticketKey={route.key} />;
    case 'settings':
      return <SettingsPage admin={props.admin} />;
    case 'scorecard':
      return <ScorecardPage />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page here. <Link href="/app">Back to the inbox</Link>
          </p>
        </section>
      );
  }
}
