/** Settings: who and what reaches Repro (API keys, people) and the projects themselves. */
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../api';
import {
  type ApiKeyRow,
  type CreatedProject,
  projectsChanged,
  settingsApi,
  type UserRow,
} from '../settings-api';
import type { ProjectRef } from '../types';
import { asApiError, formatDate, FormError } from '../ui';
import { Confirmed, Labelled, messageFor, Outcome, ShownOnce, useRequest } from './settings-form';

export function ApiKeysSection() {
  const [keys, setKeys] = useState<ApiKeyRow[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<{ key: string; prefix: string } | null>(null);
  const request = useRequest();
  const revoking = useRequest();

  const load = () => settingsApi.apiKeys().then(setKeys, (e) => setLoadError(asApiError(e)));
  useEffect(() => void load(), []);

  const create = (event: Event) => {
    event.preventDefault();
    setCreated(null);
    void request.run(async () => {
      const issued = await settingsApi.createApiKey(label.trim());
      setCreated({ key: issued.key, prefix: issued.prefix });
      setLabel('');
      await load();
      return `Key ${issued.prefix} created. Copy it now: it is not shown again.`;
    });
  };
  const revoke = (prefix: string) =>
    void revoking.run(async () => {
      await settingsApi.revokeApiKey(prefix);
      if (created?.prefix === prefix) setCreated(null);
      await load();
      return `Key ${prefix} revoked: it is refused from now on.`;
    });

  const live = (keys ?? []).filter((k) => !k.revokedAt);
  const revoked = (keys ?? []).filter((k) => k.revokedAt);
  return (
    <div class="stack">
      <FormError error={loadError} />
      <div class="table-wrap" role="region" aria-labelledby="keys-caption" tabIndex={0}>
        <table class="settings-table">
          <caption id="keys-caption">Live keys</caption>
          <thead>
            <tr>
              <th scope="col">Prefix</th>
              <th scope="col">Label</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {live.map((k) => (
              <tr key={k.prefix}>
                <th scope="row" class="mono">
                  {k.prefix}
                </th>
                <td>{k.label ?? '–'}</td>
                <td>{formatDate(k.createdAt)}</td>
                <td>{k.lastUsedAt ? formatDate(k.lastUsedAt) : 'never'}</td>
                <td>
                  <Confirmed
                    label="Revoke"
                    labelMore={k.prefix}
                    question={`Revoke ${k.prefix}? Clients using it are refused at once.`}
                    confirm="Revoke key"
                    busy={revoking.busy}
                    onConfirm={() => revoke(k.prefix)}
                  />
                </td>
              </tr>
            ))}
            {keys && !live.length ? (
              <tr>
                <td colSpan={5} class="muted">
                  No live keys.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {revoked.length ? (
        <p class="muted">
          Revoked: {revoked.map((k) => `${k.prefix}${k.label ? ` (${k.label})` : ''}`).join(', ')}
        </p>
      ) : null}
      <Outcome error={revoking.error} notice={revoking.notice} fields={[]} />
      <form noValidate onSubmit={create} aria-label="Create an API key">
        <Labelled
          id="key-label"
          label="New key's label"
          hint="What the key is for, e.g. CI."
          error={messageFor(request.errors, 'label')}
        >
          {(aria) => (
            <div class="with-button">
              <input
                {...aria}
                type="text"
                maxLength={100}
                value={label}
                onInput={(e) => setLabel(e.currentTarget.value)}
              />
              <button type="submit" class="primary" disabled={request.busy}>
                Create key
              </button>
            </div>
          )}
        </Labelled>
      </form>
      <Outcome error={request.error} notice={request.notice} fields={['label']} />
      {created ? (
        <ShownOnce
          id="new-api-key"
          label={`New API key ${created.prefix}`}
          value={created.key}
          hint="Shown this once: only its hash is kept. Send it as Authorization: Bearer <key>."
        />
      ) : null}
    </div>
  );
}

export function PeopleSection(props: { project: string }) {
  const [people, setPeople] = useState<UserRow[] | null>(null);
  const [projects, setProjects] = useState<ProjectRef[]>([]);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [form, setForm] = useState({
    email: '',
    name: '',
    role: 'member',
    projects: [props.project],
  });
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null);
  const request = useRequest();
  // Turning someone off or giving them a new password: one at a time, outcome under the table.
  const action = useRequest();
  const setDisabled = (u: UserRow, disabled: boolean) => {
    setCreated(null);
    void action.run(async () => {
      await settingsApi.setUserDisabled(u.id, disabled);
      await load();
      return disabled
        ? `${u.email} is turned off: their sessions ended and they cannot sign in.`
        : `${u.email} can sign in again.`;
    });
  };
  const newPassword = (u: UserRow) => {
    setCreated(null);
    void action.run(async () => {
      const reset = await settingsApi.resetPassword(u.id);
      setCreated({ email: reset.user.email, password: reset.password });
      return `${u.email} has a new password (below); their sessions ended.`;
    });
  };
  const err = (name: string) => messageFor(request.errors, name);

  const load = () => settingsApi.users().then(setPeople, (e) => setLoadError(asApiError(e)));
  useEffect(() => {
    void load();
    settingsApi.projects().then(setProjects, (e) => setLoadError(asApiError(e)));
  }, []);

  const add = (event: Event) => {
    event.preventDefault();
    setCreated(null);
    void request.run(async () => {
      const made = await settingsApi.createUser({
        email: form.email.trim(),
        name: form.name.trim() || undefined,
        role: form.role,
        projects: form.role === 'member' ? form.projects : undefined,
      });
      setCreated({ email: made.email, password: made.password });
      setForm({ email: '', name: '', role: 'member', projects: [props.project] });
      await load();
      return `${made.email} added as ${made.role}. Give them the password below: it is not shown again.`;
    });
  };

  return (
    <div class="stack">
      <FormError error={loadError} />
      <div class="table-wrap" role="region" aria-labelledby="people-caption" tabIndex={0}>
        <table class="settings-table">
          <caption id="people-caption">Everyone who signs in</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Projects</th>
              <th scope="col">Added</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(people ?? []).map((u) => (
              <tr key={u.id}>
                <th scope="row">
                  {u.email}
                  {u.disabled ? <span class="muted"> (disabled)</span> : null}
                </th>
                <td>{u.name ?? '–'}</td>
                <td>{u.role}</td>
                <td>
                  {u.role === 'admin' ? 'all' : u.projects.map((p) => p.name).join(', ') || '–'}
                </td>
                <td>{formatDate(u.createdAt)}</td>
                <td>
                  <div class="buttons">
                    <button
                      type="button"
                      disabled={action.busy}
                      onClick={() => setDisabled(u, !u.disabled)}
                      aria-label={`${u.disabled ? 'Turn on' : 'Turn off'} ${u.email}`}
                    >
                      {u.disabled ? 'Turn on' : 'Turn off'}
                    </button>
                    <button
                      type="button"
                      disabled={action.busy}
                      onClick={() => newPassword(u)}
                      aria-label={`New password for ${u.email}`}
                    >
                      New password
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Outcome error={action.error} notice={action.notice} fields={[]} />
      <form class="stack" noValidate onSubmit={add} aria-labelledby="add-person-title">
        <h3 id="add-person-title">Add a person</h3>
        <div class="settings-grid">
          <Labelled id="person-email" label="Email" error={err('email')}>
            {(aria) => (
              <input
                {...aria}
                type="email"
                autoComplete="off"
                value={form.email}
                onInput={(e) => setForm({ ...form, email: e.currentTarget.value })}
              />
            )}
          </Labelled>
          <Labelled id="person-name" label="Name" error={err('name')}>
            {(aria) => (
              <input
                {...aria}
                type="text"
                autoComplete="off"
                value={form.name}
                onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
              />
            )}
          </Labelled>
          <Labelled
            id="person-role"
            label="Role"
            hint="Admins change settings and reach every project."
            error={err('role')}
          >
            {(aria) => (
              <select
                {...aria}
                value={form.role}
                onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}
              >
                <option value="member">Member</option>
                <option value="admin">Admin</option>
              </select>
            )}
          </Labelled>
        </div>
        {form.role === 'member' && projects.length ? (
          <fieldset
            class="choices"
            aria-describedby={err('projects') ? 'person-projects-error' : undefined}
          >
            <legend>Projects they reach</legend>
            <div class="choice-list">
              {projects.map((p) => (
                <label key={p.id} class="check">
                  <input
                    type="checkbox"
                    checked={form.projects.includes(p.slug)}
                    onChange={(e) =>
                      setForm({
                        ...form,
                        projects: e.currentTarget.checked
                          ? [...form.projects, p.slug]
                          : form.projects.filter((s) => s !== p.slug),
                      })
                    }
                  />
                  <span>{p.name}</span>
                </label>
              ))}
            </div>
            {err('projects') ? (
              <span class="field-error" id="person-projects-error">
                {err('projects')}
              </span>
            ) : null}
          </fieldset>
        ) : null}
        <Outcome
          error={request.error}
          notice={request.notice}
          fields={['email', 'name', 'role', 'projects']}
        />
        <div class="buttons">
          <button type="submit" class="primary" disabled={request.busy}>
            Add person
          </button>
        </div>
      </form>
      {created ? (
        <ShownOnce
          id="new-password"
          label={`Password for ${created.email}`}
          value={created.password}
          hint="Generated and shown this once; they sign in with it."
        />
      ) : null}
    </div>
  );
}

const slugOf = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);

export function ProjectsSection() {
  const [projects, setProjects] = useState<ProjectRef[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const [created, setCreated] = useState<CreatedProject | null>(null);
  const request = useRequest();
  const err = (field: string) => messageFor(request.errors, field);

  const load = () => settingsApi.projects().then(setProjects, (e) => setLoadError(asApiError(e)));
  useEffect(() => void load(), []);

  const create = (event: Event) => {
    event.preventDefault();
    setCreated(null);
    void request.run(async () => {
      const made = await settingsApi.createProject({ name: name.trim(), slug: slug.trim() });
      setCreated(made);
      setName('');
      setSlug('');
      setSlugTouched(false);
      await load();
      projectsChanged();
      return `Project ${made.name} created. Choose it in the Project list to work in it.`;
    });
  };
  // A taken slug is named by its code, not a field.
  const slugError =
    err('slug') ?? (request.error?.code === 'SLUG_TAKEN' ? request.error.message : null);

  return (
    <div class="stack">
      <FormError error={loadError} />
      {projects ? (
        <ul class="plain-list">
          {projects.map((p) => (
            <li key={p.id}>
              {p.name} <span class="mono muted">{p.slug}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <form class="stack" noValidate onSubmit={create} aria-labelledby="new-project-title">
        <h3 id="new-project-title">Create a project</h3>
        <div class="settings-grid">
          <Labelled id="project-name" label="Project name" error={err('name')}>
            {(aria) => (
              <input
                {...aria}
                type="text"
                maxLength={100}
                value={name}
                onInput={(e) => {
                  setName(e.currentTarget.value);
                  if (!slugTouched) setSlug(slugOf(e.currentTarget.value));
                }}
              />
            )}
          </Labelled>
          <Labelled
            id="project-slug"
            label="Slug"
            hint="2 to 40 lower-case letters, digits or dashes."
            error={slugError}
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                class="mono"
                maxLength={40}
                value={slug}
                onInput={(e) => {
                  setSlug(e.currentTarget.value);
                  setSlugTouched(true);
                }}
              />
            )}
          </Labelled>
        </div>
        <Outcome
          error={request.error?.code === 'SLUG_TAKEN' ? null : request.error}
          notice={request.notice}
          fields={['name', 'slug']}
        />
        <div class="buttons">
          <button type="submit" class="primary" disabled={request.busy}>
            Create project
          </button>
        </div>
      </form>
      {created ? (
        <ShownOnce
          id="new-project-key"
          label={`${created.name}'s first API key`}
          value={created.apiKey.key}
          hint="Shown this once: only its hash is kept."
        />
      ) : null}
    </div>
  );
}
