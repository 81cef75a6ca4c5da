import { can } from '../api.ts';
import { query } from '../router.ts';
import { ActivitiesAdmin } from './admin/activities.tsx';
import { AuditAdmin } from './admin/audit.tsx';
import { HostsAdmin } from './admin/hosts.tsx';
import { SinksAdmin } from './admin/sinks.tsx';
import { TokensAdmin } from './admin/tokens.tsx';
import { UsersAdmin } from './admin/users.tsx';

const TABS = [
  ['users', 'Users', 'users.manage', UsersAdmin],
  ['hosts', 'Hosts', 'hosts.manage', HostsAdmin],
  ['tokens', 'API tokens', 'tokens.manage', TokensAdmin],
  ['sinks', 'Notification sinks', 'recipients.manage', SinksAdmin],
  ['activities', 'Activities', 'activities.manage', ActivitiesAdmin],
  ['audit', 'Audit log', 'audit.read', AuditAdmin],
] as const;

/** Admin pages, one tab each; a tab the role cannot use is not offered (and its API says 403). */
export function AdminPage() {
  const tabs = TABS.filter(([, , permission]) => can(permission));
  if (tabs.length === 0) {
    return (
      <div class="page">
        <h1>Admin</h1>
        <p class="error">Your role cannot use the admin pages.</p>
      </div>
    );
  }
  const wanted = query.value.get('tab');
  const current = tabs.find(([id]) => id === wanted) ?? tabs[0]!;
  const Tab = current[3];
  return (
    <div class="page admin">
      <header class="page-head">
        <h1>Admin</h1>
        <nav class="tabs" aria-label="Admin sections">
          {tabs.map(([id, label]) => (
            <a key={id} href={`/admin?tab=${id}`} aria-current={id === current[0] ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      <Tab key={current[0]} />
    </div>
  );
}
