import { useState } from 'preact/hooks';
import { ApiError, api, call } from '../api/client';
import {
  type FieldIssue,
  WEBHOOK_EVENT_TYPES,
  type Webhook,
  type WebhookCreated,
  type WebhookEventType,
} from '../api/types';
import { ApiErrorNotice } from '../components/api-error-notice';
import { ConfirmDialog } from '../components/confirm-dialog';
import { FieldError, fieldId, invalidProps } from '../components/field-errors';
import { formatDateTime, shortId } from '../format';
import { usePoll } from '../use-poll';

const asApiError = (error: unknown) =>
  error instanceof ApiError ? error : new ApiError(0, 'client', String(error));

/**
 * Webhooks (docs/events-and-webhooks.md): register an endpoint (its signing secret is shown once, here), the
 * registered endpoints with their status, a signed test event, removal, and each one's delivery log.
 */
export function WebhooksPage() {
  const webhooks = usePoll(
    'webhooks',
    () => call(api.GET('/webhooks')),
    () => 15_000,
  );
  const [created, setCreated] = useState<WebhookCreated | undefined>();
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <p class="muted">
        Registered endpoints receive <code>export.completed</code>, <code>export.failed</code> and{' '}
        <code>export.cancelled</code> as signed Standard Webhooks, retried for about a day.
      </p>
      <RegisterForm
        onCreated={(webhook) => {
          setCreated(webhook);
          webhooks.reload();
        }}
      />
      {created && <SecretOnce webhook={created} onDismiss={() => setCreated(undefined)} />}
      {webhooks.error && <ApiErrorNotice error={webhooks.error} />}
      {webhooks.data ? (
        webhooks.data.webhooks.length === 0 ? (
          <p>No webhooks yet.</p>
        ) : (
          <div class="stack">
            {webhooks.data.webhooks.map((webhook) => (
              <WebhookCard key={webhook.id} webhook={webhook} onRemoved={webhooks.reload} />
            ))}
          </div>
        )
      ) : (
        <p aria-busy="true">Loading…</p>
      )}
    </section>
  );
}

function RegisterForm({ onCreated }: { onCreated: (webhook: WebhookCreated) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<readonly WebhookEventType[]>(WEBHOOK_EVENT_TYPES);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [failure, setFailure] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    setIssues([]);
    setFailure(undefined);
    try {
      const webhook = await call(
        api.POST('/webhooks', {
          body: { url, events: [...events], ...(description && { description }) },
        }),
      );
      setUrl('');
      setDescription('');
      onCreated(webhook);
    } catch (error) {
      const apiError = asApiError(error);
      setIssues([...apiError.issues]);
      if (apiError.issues.length === 0) setFailure(apiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="card"
      aria-labelledby="register-title"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <h2 id="register-title">Register an endpoint</h2>
      <div class="field">
        <label for={fieldId('url')}>Endpoint URL</label>
        <input
          type="url"
          id={fieldId('url')}
          value={url}
          placeholder="https://hooks.example.com/exports"
          required
          onInput={(event) => setUrl(event.currentTarget.value)}
          {...invalidProps(issues, 'url')}
        />
        <FieldError issues={issues} field="url" />
      </div>
      <fieldset class="field">
        <legend>Events</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <label class="check" key={type}>
            <input
              type="checkbox"
              checked={events.includes(type)}
              onChange={(event) =>
                setEvents(event.currentTarget.checked ? [...events, type] : events.filter((t) => t !== type))
              }
            />{' '}
            <code>{type}</code>
          </label>
        ))}
        <FieldError issues={issues} field="events" />
      </fieldset>
      <div class="field">
        <label for={fieldId('description')}>Description (optional)</label>
        <input
          type="text"
          id={fieldId('description')}
          value={description}
          maxLength={500}
          onInput={(event) => setDescription(event.currentTarget.value)}
          {...invalidProps(issues, 'description')}
        />
        <FieldError issues={issues} field="description" />
      </div>
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled={busy || !url || events.length === 0}>
          Register
        </button>
      </div>
      {failure && <ApiErrorNotice error={failure} />}
    </form>
  );
}

function SecretOnce({ webhook, onDismiss }: { webhook: WebhookCreated; onDismiss: () => void }) {
  return (
    <div class="notice notice-ok" role="status" data-testid="webhook-secret">
      <p>
        Registered <code>{webhook.url}</code>. Its signing secret is shown <strong>only now</strong>: store it
        where your receiver verifies signatures.
      </p>
      <p>
        <label for="webhook-secret-value">Signing secret</label>{' '}
        <input
          id="webhook-secret-value"
          class="secret"
          readOnly
          value={webhook.secret}
          size={Math.min(webhook.secret.length, 60)}
          onFocus={(event) => event.currentTarget.select()}
        />
      </p>
      <button type="button" class="button" onClick={onDismiss}>
        I have stored it
      </button>
    </div>
  );
}

function WebhookCard({ webhook, onRemoved }: { webhook: Webhook; onRemoved: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [showLog, setShowLog] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();
  const [failure, setFailure] = useState<ApiError | undefined>();
  const path = { params: { path: { webhookId: webhook.id } } };

  const sendTest = async () => {
    setFailure(undefined);
    try {
      const accepted = await call(api.POST('/webhooks/{webhookId}/test', path));
      setNotice(`Test event ${accepted.eventId} queued.`);
      setShowLog(true);
    } catch (error) {
      setFailure(asApiError(error));
    }
  };
  const remove = async () => {
    setFailure(undefined);
    const { response } = await api
      .DELETE('/webhooks/{webhookId}', path)
      .catch(() => ({ response: undefined }));
    if (response?.ok) onRemoved();
    else
      setFailure(new ApiError(response?.status ?? 0, 'delete_failed', 'The webhook could not be removed.'));
  };

  return (
    <article class="card" aria-labelledby={`webhook-${webhook.id}`} data-webhook={webhook.url}>
      <h2 id={`webhook-${webhook.id}`} class="break">
        {webhook.url}
      </h2>
      {webhook.description && <p>{webhook.description}</p>}
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class={`status ${webhook.status === 'active' ? 'status-completed' : 'status-failed'}`}>
            {webhook.status}
          </span>
          {webhook.disabledReason && <span class="muted small"> {webhook.disabledReason}</span>}
        </dd>
        <dt>Events</dt>
        <dd>{webhook.events.join(', ')}</dd>
        <dt>Registered</dt>
        <dd>
          <time dateTime={webhook.createdAt}>{formatDateTime(webhook.createdAt)}</time> (id{' '}
          {shortId(webhook.id)})
        </dd>
      </dl>
      <div class="form-actions">
        <button type="button" class="button" onClick={() => void sendTest()}>
          Send test event
        </button>
        <button type="button" class="button" aria-expanded={showLog} onClick={() => setShowLog(!showLog)}>
          {showLog ? 'Hide deliveries' : 'Deliveries'}
        </button>
        <button type="button" class="button button-danger" onClick={() => setConfirming(true)}>
          Delete
        </button>
      </div>
      <div aria-live="polite">
        {notice && <p class="notice notice-ok">{notice}</p>}
        {failure && <ApiErrorNotice error={failure} />}
      </div>
      {showLog && <DeliveryLog webhookId={webhook.id} />}
      <ConfirmDialog
        open={confirming}
        title="Delete this webhook?"
        confirmLabel="Delete webhook"
        cancelLabel="Keep it"
        onConfirm={() => void remove()}
        onClose={() => setConfirming(false)}
      >
        <p>
          <code>{webhook.url}</code> stops receiving events, and its delivery log is removed.
        </p>
      </ConfirmDialog>
    </article>
  );
}

function DeliveryLog({ webhookId }: { webhookId: string }) {
  const log = usePoll(
    `deliveries-${webhookId}`,
    () =>
      call(
        api.GET('/webhooks/{webhookId}/deliveries', {
          params: { path: { webhookId }, query: { limit: '20' } },
        }),
      ),
    (data) =>
      data?.deliveries.some((d) => d.status === 'pending' || d.status === 'retrying') ? 2_000 : 15_000,
  );
  if (log.error) return <ApiErrorNotice error={log.error} />;
  if (!log.data) return <p aria-busy="true">Loading deliveries…</p>;
  if (log.data.deliveries.length === 0) return <p class="muted">No deliveries yet.</p>;
  return (
    <div class="table-wrap">
      <table class="table" aria-label="Delivery log">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last response</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {log.data.deliveries.map((delivery) => (
            <tr key={delivery.id} data-delivery={delivery.eventType}>
              <td>
                <code>{delivery.eventType}</code>
                <div class="muted small">{delivery.eventId}</div>
              </td>
              <td>
                <span
                  class={`status ${delivery.status === 'delivered' ? 'status-completed' : delivery.status === 'pending' || delivery.status === 'retrying' ? 'status-queued' : 'status-failed'}`}
                >
                  {delivery.status}
                </span>
                {delivery.nextAttemptAt && (
                  <div class="muted small">next try {formatDateTime(delivery.nextAttemptAt)}</div>
                )}
              </td>
              <td>{delivery.attempts}</td>
              <td>
                {delivery.lastStatusCode ?? '—'}
                {delivery.lastError && <div class="muted small">{delivery.lastError}</div>}
              </td>
              <td>
                <time dateTime={delivery.createdAt}>{formatDateTime(delivery.createdAt)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
