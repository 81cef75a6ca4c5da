import { useEffect } from 'preact/hooks';
import { can, logOut, resume, session } from './api.ts';
import { connection, startLive, stopLive } from './live.ts';
import { ActionsPage } from './pages/actions.tsx';
import { AdminPage } from './pages/admin.tsx';
import { EnrollmentsPage } from './pages/enrollments.tsx';
import { FleetPage } from './pages/fleet.tsx';
import { HostPage } from './pages/host.tsx';
import { IncidentsPage } from './pages/incidents.tsx';
import { JobsPage } from './pages/jobs.tsx';
import { LoginPage } from './pages/login.tsx';
import { SetPasswordPage } from './pages/set-password.tsx';
import { match, path } from './router.ts';

function Page() {
  const at = path.value;
  if (at === '/' || at === '/fleet') return <FleetPage />;
  const host = match('/hosts/:id', at);
  if (host && /^\d+$/.test(host.id!)) return <HostPage key={host.id} id={Number(host.id)} />;
  if (at === '/incidents') return <IncidentsPage key={location.search} />;
  if (at === '/admin') return <AdminPage />;
  if (at === '/actions') return <ActionsPage key={location.search} />;
  if (at === '/jobs') return <JobsPage />;
  if (at === '/enrollments') return <EnrollmentsPage />;
  return (
    <div class="page">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{at}</code>. <a href="/">Go to the fleet</a>.
      </p>
    </div>
  );
}

function Nav() {
  const at = path.value;
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} aria-current={active ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <nav class="top" aria-label="Main">
      <a class="brand" href="/">
        Pantau
      </a>
      {link('/', 'Fleet', at === '/' || at.startsWith('/hosts'))}
      {link('/incidents', 'Incidents', at === '/incidents')}
      {can('job.run') && link('/actions', 'Actions', at === '/actions')}
      {can('jobs.read') && link('/jobs', 'Jobs', at === '/jobs')}
      {can('hosts.manage') && link('/enrollments', 'Enroll', at === '/enrollments')}
      {(can('users.manage') || can('hosts.manage')) && link('/admin', 'Admin', at === '/admin')}
      <span class="spacer" />
      <span class={`conn conn-${connection.value}`} data-testid="connection" title="live updates">
        {connection.value === 'live'
          ? '● live'
          : connection.value === 'lost'
            ? 'reconnecting…'
            : 'connecting…'}
      </span>
      <span class="muted who" data-testid="who">
        {session.value?.user.name} · {session.value?.user.role}
      </span>
      <button type="button" class="link" onClick={() => void logOut()}>
        Sign out
      </button>
    </nav>
  );
}

export function App() {
  const signedIn = session.value != null;
  useEffect(() => {
    void resume();
  }, []);
  useEffect(() => {
    if (signedIn) startLive();
    else stopLive();
  }, [signedIn]);
  if (path.value === '/set-password') return <SetPasswordPage />;
  if (session.value === undefined) return null;
  if (!signedIn) return <LoginPage />;
  return (
    <>
      <Nav />
      {connection.value === 'lost' && (
        <div class="banner" role="alert" data-testid="offline-banner">
          The collector cannot be reached. Retrying by itself; what you see may be out of date.
        </div>
      )}
      <main>
        <Page />
      </main>
    </>
  );
}
