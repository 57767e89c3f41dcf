/** The console's own paths, under the base path Vite builds it for (`/console/`). */
const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

export const ROUTES = {
  home: `${BASE}/`,
  signIn: `${BASE}/sign-in`,
  jobs: `${BASE}/jobs`,
  job: (jobId: string) => `${BASE}/jobs/${encodeURIComponent(jobId)}`,
  jobPattern: `${BASE}/jobs/:jobId`,
  newExport: `${BASE}/new`,
  schedules: `${BASE}/schedules`,
  metrics: `${BASE}/metrics`,
  webhooks: `${BASE}/webhooks`,
  myData: `${BASE}/my-data`,
} as const;

/** The prefix of every console path, for the router's link interception. */
export const CONSOLE_SCOPE = BASE;
