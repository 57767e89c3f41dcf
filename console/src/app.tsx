import lazy from 'preact-iso/lazy';
import { LocationProvider, Route, Router, useRoute } from 'preact-iso/router';
import { Layout } from './components/layout';
import { JobPage } from './pages/job-page';
import { JobsPage } from './pages/jobs-page';
import { MyDataPage } from './pages/my-data-page';
import { NewExportPage } from './pages/new-export-page';
import { SchedulesPage } from './pages/schedules-page';
import { SignInPage } from './pages/sign-in-page';
import { WebhooksPage } from './pages/webhooks-page';
import { CONSOLE_SCOPE, ROUTES } from './routes';
import { type Session, useSession } from './session';

// Chart.js is most of the console's weight: only the metrics page loads it.
const MetricsPage = lazy(() => import('./pages/metrics-page').then((module) => module.MetricsPage));

/** Pages only admins can use; the API refuses others anyway, this only spares them the attempt. */
function AdminOnly({ session, page }: { session: Session; page: () => preact.JSX.Element }) {
  if (session.isAdmin) return page();
  return (
    <section>
      <h1>Admins only</h1>
      <p>
        This page needs the admin role. <a href={ROUTES.myData}>Download your own data</a> instead.
      </p>
    </section>
  );
}

function JobRoute() {
  const { params } = useRoute();
  return <JobPage jobId={params.jobId ?? ''} />;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <a href={ROUTES.home}>Back to the console</a>
      </p>
    </section>
  );
}

/**
 * The console: the sign-in page until there is a session, then the pages for the caller's role.
 * Admins land on the jobs, users on "download your data".
 */
export function App() {
  const { session, notice } = useSession();
  if (!session) return <SignInPage notice={notice} />;
  const home = () => (session.isAdmin ? <JobsPage session={session} /> : <MyDataPage session={session} />);
  return (
    <LocationProvider scope={CONSOLE_SCOPE}>
      <Layout session={session}>
        <Router>
          <Route path={ROUTES.home} component={home} />
          <Route path={ROUTES.jobs} component={() => <JobsPage session={session} />} />
          <Route path={ROUTES.jobPattern} component={JobRoute} />
          <Route
            path={ROUTES.newExport}
            component={() => <AdminOnly session={session} page={NewExportPage} />}
          />
          <Route
            path={ROUTES.schedules}
            component={() => <AdminOnly session={session} page={SchedulesPage} />}
          />
          <Route path={ROUTES.metrics} component={() => <AdminOnly session={session} page={MetricsPage} />} />
          <Route
            path={ROUTES.webhooks}
            component={() => <AdminOnly session={session} page={WebhooksPage} />}
          />
          <Route path={ROUTES.myData} component={() => <MyDataPage session={session} />} />
          <Route default component={NotFound} />
        </Router>
      </Layout>
    </LocationProvider>
  );
}
