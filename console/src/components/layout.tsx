import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useLocation } from 'preact-iso/router';
import { ROUTES } from '../routes';
import { endSession, type Session } from '../session';
import { Quota } from './quota';

interface NavItem {
  readonly href: string;
  readonly label: string;
  readonly adminOnly: boolean;
}

const NAV: readonly NavItem[] = [
  { href: ROUTES.jobs, label: 'Jobs', adminOnly: false },
  { href: ROUTES.newExport, label: 'New export', adminOnly: true },
  { href: ROUTES.schedules, label: 'Schedules', adminOnly: true },
  { href: ROUTES.metrics, label: 'Metrics', adminOnly: true },
  { href: ROUTES.webhooks, label: 'Webhooks', adminOnly: true },
  { href: ROUTES.myData, label: 'My data', adminOnly: false },
];

/** The page frame: skip link, header with navigation, quota and account, then the page. */
export function Layout({ session, children }: { session: Session; children: ComponentChildren }) {
  const { path } = useLocation();
  const items = NAV.filter((item) => session.isAdmin || !item.adminOnly);
  // The home page is the jobs list for admins and "download your data" for users.
  const home = session.isAdmin ? ROUTES.jobs : ROUTES.myData;
  const atHome = path === ROUTES.home || `${path}/` === ROUTES.home;
  const current = items.find(
    (item) => path === item.href || path.startsWith(`${item.href}/`) || (atHome && item.href === home),
  );
  const main = useRef<HTMLElement>(null);
  const firstPath = useRef(path);
  useEffect(() => {
    document.title = current ? `${current.label} · Data Export` : 'Data Export console';
    // After client-side navigation, start screen readers and keyboard users at the new page.
    if (path !== firstPath.current) main.current?.focus();
  }, [path]);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="top-row">
          <a class="brand" href={ROUTES.home}>
            Data Export
          </a>
          <div class="account">
            <Quota />
            <span class="who" title={session.userId}>
              {session.email}
              {session.isAdmin && <span class="role">admin</span>}
            </span>
            <button type="button" class="button button-small" onClick={() => endSession()}>
              Sign out
            </button>
          </div>
        </div>
        <nav aria-label="Main">
          <ul class="nav">
            {items.map((item) => (
              <li key={item.href}>
                <a href={item.href} aria-current={item === current ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        {children}
      </main>
    </>
  );
}
