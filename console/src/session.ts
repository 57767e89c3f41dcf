import { decodeJwt } from 'jose';
import { useEffect, useState } from 'preact/hooks';

/**
 * Who is signed in. The console holds a bearer token (and, on the local runtime only, the API key)
 * in sessionStorage: gone when the tab closes, never in a cookie or the URL's query string.
 * A sign-in link carries them in the URL fragment (`#token=…&apiKey=…`), which browsers never send
 * to a server; the fragment is removed from the address bar as soon as it is read.
 */
export interface Session {
  readonly token: string;
  /** The usage-plan key, only where no proxy adds it (the local runtime). */
  readonly apiKey?: string;
  readonly userId: string;
  readonly email: string;
  /** From the token's `roles` claim; the API enforces it, the console only shapes its pages. */
  readonly isAdmin: boolean;
  readonly expiresAt?: Date;
}

const STORAGE_KEY = 'data-export-console/session';
const listeners = new Set<() => void>();
let session: Session | undefined;
let notice: string | undefined;

/** The session a token stands for; an error message when it cannot be one. */
export function sessionFromToken(token: string, apiKey?: string): Session | string {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token.trim());
  } catch {
    return 'That is not a JWT (three base64url parts separated by dots).';
  }
  if (typeof claims.sub !== 'string') return 'The token has no subject (sub claim).';
  const expiresAt = typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined;
  if (expiresAt && expiresAt.getTime() <= Date.now()) return 'The token has expired.';
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  return {
    token: token.trim(),
    ...(apiKey?.trim() && { apiKey: apiKey.trim() }),
    userId: claims.sub,
    email: typeof claims.email === 'string' ? claims.email : claims.sub,
    isAdmin: roles.includes('admin'),
    ...(expiresAt && { expiresAt }),
  };
}

function changed(): void {
  for (const listener of listeners) listener();
}

/** Starts a session (sign-in form or link). */
export function startSession(next: Session): void {
  session = next;
  notice = undefined;
  sessionStorage.setItem(
    STORAGE_KEY,
    JSON.stringify({ token: next.token, ...(next.apiKey && { apiKey: next.apiKey }) }),
  );
  changed();
}

/** Signs out, with an optional notice for the sign-in page. */
export function endSession(message?: string): void {
  session = undefined;
  notice = message;
  sessionStorage.removeItem(STORAGE_KEY);
  changed();
}

export function currentSession(): Session | undefined {
  return session;
}

/** Reads a sign-in link's fragment, else the tab's stored session. Call once at start-up. */
export function restoreSession(): void {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const linkToken = fragment.get('token');
  if (linkToken) {
    history.replaceState(history.state, '', window.location.pathname + window.location.search);
    const restored = sessionFromToken(linkToken, fragment.get('apiKey') ?? undefined);
    if (typeof restored === 'string') endSession(`The sign-in link did not work: ${restored}`);
    else startSession(restored);
    return;
  }
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as {
      token?: string;
      apiKey?: string;
    } | null;
    if (!stored?.token) return;
    const restored = sessionFromToken(stored.token, stored.apiKey);
    if (typeof restored === 'string') endSession(`Please sign in again. ${restored}`);
    else session = restored;
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
  }
}

/** The current session and sign-in notice, re-rendering on change. */
export function useSession(): { session: Session | undefined; notice: string | undefined } {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((v) => v + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return { session, notice };
}
