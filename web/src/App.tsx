import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, setCsrfToken, setUnauthenticatedHandler } from './api.ts';
import { ErrorNotice, Loading } from './components/status.tsx';
import { ThemeToggle } from './components/ThemeToggle.tsx';
import { icons } from './icons.tsx';
import { LoginPage } from './pages/Login.tsx';
import { NotFoundPage } from './pages/NotFound.tsx';
import { Link, navigate, useLocation } from './router.tsx';
import { resolve, SECTIONS } from './sections.tsx';
import { SessionContext, useSession } from './session.ts';
import type { Session } from './types.ts';

/** Only same-app paths are followed after sign-in, so a crafted `next` cannot send users elsewhere. */
function safeNext(value: string | null): string {
  return value?.startsWith('/') && !value.startsWith('//') && !value.startsWith('/login') ? value : '/';
}

export function App() {
  const location = useLocation();
  // undefined: still asking the server who we are.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [bootError, setBootError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is the retry trigger
  useEffect(() => {
    let cancelled = false;
    setBootError(null);
    api<Session>('/api/v1/auth/session', { quiet401: true }).then(
      (s) => {
        if (cancelled) return;
        setCsrfToken(s.csrfToken);
        setSession(s);
      },
      (e: unknown) => {
        if (cancelled) return;
        if (e instanceof ApiError && e.status === 401) setSession(null);
        else
          setBootError(
            e instanceof ApiError ? e : new ApiError({ title: 'Error', status: 0, code: 'CLIENT', detail: String(e) }),
          );
      },
    );
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(null);
      setSession(null);
    });
    return () => setUnauthenticatedHandler(null);
  }, []);

  const onLogin = location.pathname === '/login';

  useEffect(() => {
    if (session === null && !onLogin) {
      const here = location.pathname + location.search;
      navigate(here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`, { replace: true });
    } else if (session && onLogin) {
      navigate(safeNext(location.query.get('next')), { replace: true });
    }
  });

  const signedIn = useCallback((s: Session) => {
    setCsrfToken(s.csrfToken);
    setSession(s);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('/api/v1/auth/logout', { method: 'POST', quiet401: true });
    } catch {
      // The session is dropped on this side either way; an unreachable server must not trap the user.
    }
    setCsrfToken(null);
    setSession(null);
    navigate('/login', { replace: true });
  }, []);

  if (bootError) {
    return (
      <main id="main" className="boot">
        <h1>Vigil</h1>
        <ErrorNotice error={bootError} onRetry={() => setAttempt((a) => a + 1)} title="Cannot reach the server" />
      </main>
    );
  }
  if (session === undefined || (session === null && !onLogin) || (session && onLogin)) {
    return (
      <main id="main" className="boot">
        <Loading label="Starting Vigil…" />
      </main>
    );
  }
  if (session === null) return <LoginPage onSignedIn={signedIn} />;
  return (
    <SessionContext.Provider value={{ session, signOut }}>
      <Layout />
    </SessionContext.Provider>
  );
}

function Layout() {
  const { session, signOut } = useSession();
  const { pathname } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const menuButtonRef = useRef<HTMLButtonElement>(null);
  const match = resolve(pathname);

  // After a client-side navigation, move focus to the new page so keyboard and screen reader
  // users start reading there, as they would after a full page load. Comparing with the last
  // path (not a first-render flag) keeps StrictMode's effect replay from stealing focus on load.
  const lastPath = useRef(pathname);
  useEffect(() => {
    if (lastPath.current === pathname) return;
    lastPath.current = pathname;
    setMenuOpen(false);
    mainRef.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [pathname]);

  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setMenuOpen(false);
        menuButtonRef.current?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  const user = session.user;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          ref={menuButtonRef}
          type="button"
          className="icon-button menu-button"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          aria-label="Menu"
          onClick={() => setMenuOpen((o) => !o)}
        >
          {menuOpen ? icons.close : icons.menu}
        </button>
        <Link to="/" className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Vigil</span>
        </Link>
        <div className="topbar-end">
          <p className="user" title={`Signed in as ${user.name} (${user.role})`}>
            <span className="sr-only">
              Signed in as {user.name}, {user.role}
            </span>
            <span className="avatar" aria-hidden="true">
              {user.name.slice(0, 1).toUpperCase()}
            </span>
            <span className="user-name" aria-hidden="true">
              {user.name}
            </span>
            {user.role === 'admin' && (
              <span className="badge role" aria-hidden="true">
                admin
              </span>
            )}
          </p>
          <ThemeToggle />
          <button type="button" className="button button-quiet sign-out" aria-label="Sign out" onClick={() => void signOut()}>
            {icons.signOut}
            <span className="sign-out-label">Sign out</span>
          </button>
        </div>
      </header>
      <div className="shell">
        <div className="sidebar-col">
          <nav id="sidebar" className={`sidebar${menuOpen ? ' open' : ''}`} aria-label="Main">
            <ul>
              {SECTIONS.map((s) => {
                const current = match?.section === s;
                return (
                  <li key={s.path}>
                    <Link to={s.path} aria-current={current ? 'page' : undefined} className="nav-link">
                      {s.icon}
                      <span>{s.label}</span>
                    </Link>
                  </li>
                );
              })}
            </ul>
            <p className="sidebar-user">
              Signed in as <strong>{user.name}</strong>
              {user.teams.length > 0 && <> · {user.teams.join(', ')}</>}
            </p>
          </nav>
        </div>
        {menuOpen && <div className="scrim" aria-hidden="true" onClick={() => setMenuOpen(false)} />}
        <main id="main" ref={mainRef} tabIndex={-1} className="content">
          {match ? match.element : <NotFoundPage pathname={pathname} />}
        </main>
      </div>
    </div>
  );
}
