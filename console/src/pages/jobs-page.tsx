import { useState } from 'preact/hooks';
import { type ApiError, api, call } from '../api/client';
import {
  ACTIVE_STATUSES,
  JOB_KINDS,
  JOB_STATUSES,
  type JobKind,
  type JobStatus,
  type JobView,
} from '../api/types';
import { ApiErrorNotice } from '../components/api-error-notice';
import { JobsTable } from '../components/jobs-table';
import { ROUTES } from '../routes';
import type { Session } from '../session';
import { usePoll } from '../use-poll';

const PAGE_SIZE = 25;
/** While a listed job runs, progress refreshes this often; otherwise the list refreshes slowly. */
const ACTIVE_POLL_MS = 1500;
const IDLE_POLL_MS = 10_000;

async function loadPage(status: JobStatus | '', cursor?: string) {
  return call(
    api.GET('/jobs', {
      params: {
        query: { limit: String(PAGE_SIZE), ...(status && { status }), ...(cursor && { cursor }) },
      },
    }),
  );
}

/**
 * The jobs list (admins: everyone's; users: their own), newest first, with a status filter (the
 * API's) and a kind filter (over the jobs loaded so far: the API has no kind filter). The first
 * page refreshes itself, quickly while a job on it runs; older pages load on demand.
 */
export function JobsPage({ session }: { session: Session }) {
  const [status, setStatus] = useState<JobStatus | ''>('');
  const [kind, setKind] = useState<JobKind | ''>('');
  const [older, setOlder] = useState<{ key: string; jobs: JobView[]; cursor: string | null } | null>(null);
  const [actionError, setActionError] = useState<ApiError | undefined>();
  const first = usePoll(
    `jobs:${status}`,
    () => loadPage(status),
    (page) => (page?.jobs.some((job) => ACTIVE_STATUSES.has(job.status)) ? ACTIVE_POLL_MS : IDLE_POLL_MS),
  );
  const olderHere = older?.key === status ? older : null;
  const loaded = [...(first.data?.jobs ?? []), ...(olderHere?.jobs ?? [])].filter(
    (job, index, all) => all.findIndex((other) => other.jobId === job.jobId) === index,
  );
  const shown = kind ? loaded.filter((job) => job.kind === kind) : loaded;
  const cursor = olderHere ? olderHere.cursor : (first.data?.nextCursor ?? null);

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const page = await loadPage(status, cursor);
      setOlder({ key: status, jobs: [...(olderHere?.jobs ?? []), ...page.jobs], cursor: page.nextCursor });
    } catch (error) {
      setActionError(error as ApiError);
    }
  };

  return (
    <section aria-labelledby="jobs-title">
      <div class="page-head">
        <h1 id="jobs-title">{session.isAdmin ? 'Export jobs' : 'Your exports'}</h1>
        {session.isAdmin && (
          <a class="button button-primary" href={ROUTES.newExport}>
            New export
          </a>
        )}
      </div>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Status{' '}
          <select value={status} onChange={(event) => setStatus(event.currentTarget.value as JobStatus | '')}>
            <option value="">All</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind{' '}
          <select value={kind} onChange={(event) => setKind(event.currentTarget.value as JobKind | '')}>
            <option value="">All</option>
            {JOB_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        {kind && (
          <span class="muted small">
            Kind filters the {loaded.length} jobs loaded{cursor ? '; load more to see older ones' : ''}.
          </span>
        )}
      </form>
      {first.error && <ApiErrorNotice error={first.error} />}
      {actionError && <ApiErrorNotice error={actionError} />}
      {first.loading && !first.data ? (
        <p aria-busy="true">Loading…</p>
      ) : (
        <JobsTable
          jobs={shown}
          caption={session.isAdmin ? 'All export jobs, newest first' : 'Your exports, newest first'}
          showRequester={session.isAdmin}
          onChanged={() => {
            setActionError(undefined);
            first.reload();
          }}
          onError={setActionError}
        />
      )}
      {cursor && (
        <button type="button" class="button" onClick={loadMore}>
          Load older jobs
        </button>
      )}
    </section>
  );
}
