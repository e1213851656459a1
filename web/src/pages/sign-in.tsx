import { useState } from 'preact/hooks';
import type { ApiError } from '../api';
import { sessionApi } from '../api';
import type { Session } from '../types';
import { asApiError, Field, FormError } from '../ui';

export function SignInPage(props: { onSignedIn: (session: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await sessionApi.signIn(email.trim(), password));
    } catch (e) {
      setError(asApiError(e));
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <form class="card" onSubmit={(e) => void submit(e)} noValidate>
        <h1>Sign in to Repro</h1>
        <FormError error={error} fields={['email', 'password']} />
        <Field id="email" name="email" label="Email" error={error}>
          {(aria) => (
            <input
              {...aria}
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="password" name="password" label="Password" error={error}>
          {(aria) => (
            <input
              {...aria}
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
