import type { EventPublisher, ExportEvent } from '../../functions/domain/notifications/export-events.js';
import type {
  JobNotifications,
  NotificationChannel,
  UnsentCriteria,
  UnsentNotifications,
} from '../../functions/domain/notifications/job-notifications.js';
import type { InMemoryJobLeases } from './worker-fakes.js';

/**
 * An EventPublisher that records every event, or throws `fail()`. Held to the EventBridge adapter
 * and the local bus by `test/integration/contracts/event-publisher.test.ts`.
 */
export class RecordingEventPublisher implements EventPublisher {
  readonly published: ExportEvent[] = [];
  constructor(public fail?: () => Error) {}
  async publish(event: ExportEvent): Promise<void> {
    if (this.fail) throw this.fail();
    this.published.push(event);
  }
}

/** JobNotifications over the in-memory leases' jobs, as `PostgresJobNotifications` over `export_jobs`. */
export class InMemoryJobNotifications implements JobNotifications {
  /** `{jobId}:{channel}` of every notification recorded as sent. */
  readonly sent = new Set<string>();
  constructor(private readonly leases: InMemoryJobLeases) {}

  async markSent(jobId: string, channel: NotificationChannel): Promise<void> {
    this.sent.add(`${jobId}:${channel}`);
  }

  async claimUnsent(criteria: UnsentCriteria): Promise<UnsentNotifications[]> {
    const now = new Date();
    const due = [...this.leases.jobs.values()]
      .map((stored) => stored.job)
      .filter((job) => ['completed', 'failed', 'cancelled'].includes(job.status))
      .filter((job) => job.updatedAt < criteria.finishedBefore)
      .map((job) => ({
        job,
        email:
          !this.sent.has(`${job.id}:email`) &&
          (job.status === 'completed' || job.status === 'failed') &&
          job.requesterEmail !== null &&
          job.requestedBy !== null,
        event: !this.sent.has(`${job.id}:event`),
      }))
      .filter((u) => u.email || u.event)
      .sort((a, b) => a.job.updatedAt.getTime() - b.job.updatedAt.getTime())
      .slice(0, criteria.limit);
    return due.map((u) => ({ ...u, job: this.leases.patch(u.job.id, {}, now) }));
  }
}
