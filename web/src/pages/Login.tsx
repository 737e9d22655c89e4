import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { ThemeToggle } from '../components/ThemeToggle.tsx';
import { useTitle } from '../title.ts';
import type { Session } from '../types.ts';

type Mode = 'token' | 'password';

export function LoginPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  useTitle('Sign in');
  const [mode, setMode] = useState<Mode>('token');
  const [token, setToken] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errorId = useId();
  const firstField = useRef<HTMLInputElement>(null);

  // The form is the page's only purpose: put the cursor in it, and back in it when the method changes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: refocus on each change of method
  useEffect(() => {
    firstField.current?.focus();
  }, [mode]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = mode === 'token' ? { token: token.trim() } : { name: name.trim(), password };
      const session = await api<Session>('/api/v1/auth/login', { method: 'POST', body, quiet401: true });
      onSignedIn(session);
    } catch (e) {
      setError(e instanceof ApiError ? e.problem.detail || e.problem.title : String(e));
      setBusy(false);
    }
  };

  const describedBy = error ? errorId : undefined;

  return (
    <div className="login-shell">
      <div className="login-theme">
        <ThemeToggle />
      </div>
      <main id="main" className="login-card" aria-labelledby="login-title">
        <div className="login-brand" aria-hidden="true">
          <img src="/favicon.svg" alt="" width={36} height={36} />
        </div>
        <h1 id="login-title">Sign in to Vigil</h1>
        <fieldset className="segmented">
          <legend className="sr-only">Sign-in method</legend>
          <button
            type="button"
            aria-pressed={mode === 'token'}
            onClick={() => {
              setMode('token');
              setError(null);
            }}
          >
            API token
          </button>
          <button
            type="button"
            aria-pressed={mode === 'password'}
            onClick={() => {
              setMode('password');
              setError(null);
            }}
          >
            Name and password
          </button>
        </fieldset>
        <form onSubmit={submit} noValidate={false}>
          {mode === 'token' ? (
            <div className="field">
              <label htmlFor="login-token">API token</label>
              <input
                id="login-token"
                name="token"
                type="password"
                autoComplete="off"
                spellCheck={false}
                required
                placeholder="vgl_…"
                value={token}
                onChange={(e) => setToken(e.target.value)}
                aria-invalid={error ? true : undefined}
                aria-describedby={`login-token-hint${describedBy ? ` ${describedBy}` : ''}`}
                ref={firstField}
              />
              <p id="login-token-hint" className="hint">
                On its first start the server prints a one-time admin token (<code>vgl_…</code>) to its console. Any API token
                works here; <code>vigil tokens create</code> makes more.
              </p>
            </div>
          ) : (
            <>
              <div className="field">
                <label htmlFor="login-name">Name</label>
                <input
                  id="login-name"
                  name="username"
                  autoComplete="username"
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={describedBy}
                  ref={firstField}
                />
              </div>
              <div className="field">
                <label htmlFor="login-password">Password</label>
                <input
                  id="login-password"
                  name="password"
                  type="password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={describedBy}
                />
              </div>
            </>
          )}
          {error && (
            <div id={errorId} className="notice notice-error" role="alert">
              {error}
            </div>
          )}
          <button type="submit" className="button button-primary button-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </main>
    </div>
  );
}
