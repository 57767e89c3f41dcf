import { useState } from 'preact/hooks';
import { ApiError, api, call } from '../api/client';
import { ACTIVE_STATUSES, USER_FORMATS, type UserFormat } from '../api/types';
import { ApiErrorNotice } from '../components/api-error-notice';
import { JobsTable } from '../components/jobs-table';
import { limitsChanged } from '../components/quota';
import { shortId } from '../format';
import { ROUTES } from '../routes';
import type { Session } from '../session';
import { usePoll } from '../use-poll';

const FORMAT_HINTS: Partial<Record<UserFormat, string>> = {
  json: 'one JSON document',
  ndjson: 'a zip of one NDJSON file per section',
  csv: 'a zip of one CSV file per section, for spreadsheets',
  xml: 'one XML document',
};

/**
 * "Download your data", as Google Takeout's page: choose a format, request the export (always as
 * a job, so it shows here with its progress and an email arrives too), then download it.
 */
export function MyDataPage({ session }: { session: Session }) {
  const [format, setFormat] = useState<UserFormat>(USER_FORMATS[0]!);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ jobId: string } | { error: ApiError; at: number } | undefined>();
  const jobs = usePoll(
    'my-jobs',
    () => call(api.GET('/jobs', { params: { query: { limit: '20' } } })),
    (page) => (page?.jobs.some((job) => ACTIVE_STATUSES.has(job.status)) ? 1500 : 15_000),
  );
  // Admins list everyone's jobs: this page shows the caller's own.
  const mine = (jobs.data?.jobs ?? []).filter((job) => job.requestedBy === session.userId);

  const request = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const answer = await call(
        api.GET('/user/{userId}', {
          params: {
            path: { userId: session.userId },
            query: { format },
            header: { Prefer: 'respond-async' },
          },
        }),
      );
      if (typeof answer !== 'object' || !('jobId' in answer))
        throw new ApiError(0, 'unexpected', 'The service answered inline instead of queueing a job.');
      setOutcome({ jobId: answer.jobId });
      jobs.reload();
    } catch (error) {
      setOutcome({
        error: error instanceof ApiError ? error : new ApiError(0, 'client', String(error)),
        at: Date.now(),
      });
    } finally {
      setBusy(false);
      limitsChanged();
    }
  };

  return (
    <section aria-labelledby="my-data-title">
      <h1 id="my-data-title">Download your data</h1>
      <p>
        A copy of what the platform holds about you: your profile, transactions, courses and activity. It is
        prepared in the background; you can download it here when it is ready, and a link is emailed to{' '}
        <strong>{session.email}</strong>.
      </p>
      <form class="form" onSubmit={request}>
        <fieldset>
          <legend>Format</legend>
          <div class="choices">
            {USER_FORMATS.map((value) => (
              <label class="check" key={value}>
                <input
                  type="radio"
                  name="format"
                  value={value}
                  checked={format === value}
                  onChange={() => setFormat(value)}
                />{' '}
                {value} {FORMAT_HINTS[value] && <span class="muted small">({FORMAT_HINTS[value]})</span>}
              </label>
            ))}
          </div>
        </fieldset>
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? 'Requesting…' : 'Request my data'}
          </button>
        </div>
      </form>
      <div aria-live="polite">
        {outcome && 'jobId' in outcome && (
          <p class="notice notice-ok">
            Your export is being prepared:{' '}
            <a href={ROUTES.job(outcome.jobId)}>export {shortId(outcome.jobId)}</a>.
          </p>
        )}
      </div>
      {outcome && 'error' in outcome && <ApiErrorNotice error={outcome.error} at={outcome.at} />}
      <h2>Your exports</h2>
      {jobs.error && <ApiErrorNotice error={jobs.error} />}
      <JobsTable
        jobs={mine}
        caption="Your exports, newest first"
        showRequester={false}
        onChanged={jobs.reload}
        onError={(error) => setOutcome({ error, at: Date.now() })}
      />
    </section>
  );
}
