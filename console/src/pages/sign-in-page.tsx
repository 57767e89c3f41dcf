import { useState } from 'preact/hooks';
import { sessionFromToken, startSession } from '../session';

/**
 * Sign-in with a bearer token from the platform's identity provider (or `npm run token` locally).
 * Usually nobody sees this page: a sign-in link (`/console/#token=…`) signs in directly.
 */
export function SignInPage({ notice }: { notice: string | undefined }) {
  const [token, setToken] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  return (
    <main id="main" class="sign-in">
      <h1>Data Export console</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form
        class="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const session = sessionFromToken(token, apiKey);
          if (typeof session === 'string') setError(session);
          else startSession(session);
        }}
      >
        <div class="field">
          <label for="token">Bearer token</label>
          <textarea
            id="token"
            rows={4}
            value={token}
            spellcheck={false}
            autoComplete="off"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'token-error' : 'token-hint'}
            onInput={(event) => setToken(event.currentTarget.value)}
          />
          <p id="token-hint" class="muted small">
            A JWT from your identity provider. Locally: the console link that <code>npm start</code> prints,
            or <code>npm run token -- --user &lt;id&gt; [--admin]</code>.
          </p>
          {error && (
            <p id="token-error" class="field-error">
              {error}
            </p>
          )}
        </div>
        <div class="field">
          <label for="api-key">API key (local runtime only)</label>
          <input
            id="api-key"
            type="password"
            value={apiKey}
            autoComplete="off"
            aria-describedby="api-key-hint"
            onInput={(event) => setApiKey(event.currentTarget.value)}
          />
          <p id="api-key-hint" class="muted small">
            Deployed consoles leave this empty: CloudFront adds the key. Locally it is in the start-up banner.
          </p>
        </div>
        <div class="form-actions">
          <button type="submit" class="button button-primary">
            Sign in
          </button>
        </div>
      </form>
    </main>
  );
}
