import { useState } from 'preact/hooks';
import { ApiError, api, call } from '../api/client';
import type { FieldIssue, Schedule } from '../api/types';
import { ApiErrorNotice } from '../components/api-error-notice';
import { FieldError, fieldId, invalidProps } from '../components/field-errors';
import { limitsChanged } from '../components/quota';
import { formatDateTime, shortId } from '../format';
import { ROUTES } from '../routes';
import { usePoll } from '../use-poll';

/** The scheduled export catalogue with each entry's next runs, run now, and backfill of a date. */
export function SchedulesPage() {
  const schedules = usePoll(
    'schedules',
    () => call(api.GET('/schedules')),
    () => 60_000,
  );
  return (
    <section aria-labelledby="schedules-title">
      <h1 id="schedules-title">Scheduled exports</h1>
      {schedules.error && <ApiErrorNotice error={schedules.error} />}
      {schedules.data ? (
        <div class="cards">
          {schedules.data.schedules.map((schedule) => (
            <ScheduleCard key={schedule.name} schedule={schedule} />
          ))}
        </div>
      ) : (
        <p aria-busy="true">Loading…</p>
      )}
    </section>
  );
}

type Outcome =
  | { readonly kind: 'queued'; readonly jobId: string; readonly date: string | undefined }
  | { readonly kind: 'failed'; readonly error: ApiError; readonly at: number };

function ScheduleCard({ schedule }: { schedule: Schedule }) {
  const [date, setDate] = useState('');
  const [force, setForce] = useState(false);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const [busy, setBusy] = useState(false);
  const prefix = `schedule-${schedule.name}`;
  const dateField = `${schedule.name}.date`;

  const run = async (forDate: string | undefined) => {
    setBusy(true);
    setIssues([]);
    try {
      const body = { ...(forDate && { date: forDate }), ...(force && { force: true }) };
      const accepted = await call(
        api.POST('/schedules/{name}/run', { params: { path: { name: schedule.name } }, body }),
      );
      setOutcome({ kind: 'queued', jobId: accepted.jobId, date: forDate });
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(0, 'client', String(error));
      // Namespaced by schedule, so each card's field and message ids stay unique on the page.
      setIssues(apiError.issues.map((issue) => ({ ...issue, field: `${schedule.name}.${issue.field}` })));
      setOutcome({ kind: 'failed', error: apiError, at: Date.now() });
    } finally {
      setBusy(false);
      limitsChanged();
    }
  };

  return (
    <article class="card" aria-labelledby={`${prefix}-title`} data-schedule={schedule.name}>
      <h2 id={`${prefix}-title`}>{schedule.name}</h2>
      <p>{schedule.description}</p>
      <dl class="facts">
        <dt>Cron (UTC)</dt>
        <dd>
          <code>{schedule.cron}</code> <span class="muted small">{schedule.eventBridgeExpression}</span>
        </dd>
        <dt>Format</dt>
        <dd>
          {schedule.format}
          {schedule.compression !== 'none' && `, ${schedule.compression}`}
        </dd>
        <dt>Destination</dt>
        <dd>
          <code>{schedule.destination}</code>
        </dd>
        <dt>Next runs</dt>
        <dd>
          <ul class="plain">
            {schedule.nextRuns.map((run) => (
              <li key={run}>
                <time dateTime={run}>{formatDateTime(run)}</time>
              </li>
            ))}
          </ul>
        </dd>
      </dl>
      <form
        class="backfill"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void run(date || undefined);
        }}
      >
        <div class="field">
          <label for={fieldId(dateField)}>Run date (UTC)</label>
          <input
            type="date"
            id={fieldId(dateField)}
            value={date}
            onInput={(event) => setDate(event.currentTarget.value)}
            {...invalidProps(issues, dateField)}
          />
          <FieldError issues={issues} field={dateField} />
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={force}
            onChange={(event) => setForce(event.currentTarget.checked)}
          />{' '}
          Replace a run that already completed
        </label>
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled={busy || !date}>
            Run for this date
          </button>
          <button type="button" class="button" disabled={busy} onClick={() => run(undefined)}>
            Run now
          </button>
        </div>
      </form>
      <div aria-live="polite">
        {outcome?.kind === 'queued' && (
          <p class="notice notice-ok">
            Queued {outcome.date ? `the run for ${outcome.date}` : 'a run for today'}:{' '}
            <a href={ROUTES.job(outcome.jobId)}>job {shortId(outcome.jobId)}</a>
          </p>
        )}
        {outcome?.kind === 'failed' && outcome.error.issues.length === 0 && (
          <ApiErrorNotice error={outcome.error} at={outcome.at} />
        )}
      </div>
    </article>
  );
}
