import { render } from 'preact';
import { useEffect, useState, useRef } from 'preact/hooks';
import { get, setUnauthenticatedHandler, setCsrf, del } from './api.js';
import { navigate, useLocation, match, Link } from './ui.jsx';
import { Login } from './pages/login.jsx';
import { Account, Tokens } from './pages/account.jsx';
import { Customers, CustomerPage } from './pages/customers.jsx';
import { Platform } from './pages/platform.jsx';
import { Domains, DomainPage } from './pages/domains.jsx';
import { Managers } from './pages/managers.jsx';
import { Templates } from './pages/templates.jsx';
import { Delegations } from './pages/delegations.jsx';
import { Branding } from './pages/branding.jsx';
import { UserManager } from './pages/usermanager.jsx';
import { MyMailbox } from './pages/mymailbox.jsx';
import { Audit, Deleted } from './pages/audit.jsx';
import { Queue, QueueEntry } from './pages/queue.jsx';
import { Quarantine, HeldMessage, ReleaseLink } from './pages/quarantine.jsx';
import './style.css';

// What each role sees in the menu (the server decides what it may actually do).
function menu(me) {
  const r = me.role;
  const full = r === 'admin' || r === 'customer' || (r === 'manager' && me.manager_kind === 'full');
  const items = [];
  if (r === 'admin') items.push(['/customers', 'Customers'], ['/platform', 'Platform limits']);
  if (r === 'customer' && me.customer_id) items.push([`/customers/${me.customer_id}`, 'My account']);
  if (r === 'admin' || r === 'customer' || r === 'manager') items.push(['/domains', 'Domains']);
  if (r === 'postmaster') items.push([`/domains/${me.domain_name || ''}`, 'My domain']);
  if (r === 'admin' || r === 'customer' || (r === 'manager' && full)) items.push(['/managers', 'Managers']);
  if (r !== 'user') items.push(['/templates', 'Templates']);
  if (r !== 'user' && (full || r === 'postmaster' || r === 'manager')) items.push(['/delegations', 'Delegations']);
  if (r === 'customer') items.push(['/branding', 'White label']);
  if (r === 'admin' || r === 'customer' || r === 'manager') items.push(['/queue', 'Outbound queue']);
  if (me.delegations && me.delegations.length) items.push(['/users', 'User Manager']);
  if (r === 'user') items.push(['/mailbox', 'My mailbox']);
  if (r === 'user' || r === 'postmaster' || r === 'admin' || r === 'customer' || r === 'manager') items.push(['/quarantine', 'Quarantine']);
  if (r !== 'user') items.push(['/deleted', 'Deleted items'], ['/audit', 'Audit log']);
  items.push(['/account', 'Password']);
  if (r !== 'user' || (me.mailbox && me.mailbox.services.tokens)) items.push(['/tokens', 'API tokens']);
  return items;
}

function home(me) {
  if (me.role === 'admin') return '/customers';
  if (me.role === 'postmaster') return `/domains/${me.domain_name}`;
  if (me.role === 'user') return me.delegations && me.delegations.length ? '/users' : '/mailbox';
  return '/domains';
}

const ROUTES = [
  ['/customers', Customers],
  ['/customers/:customer', CustomerPage],
  ['/platform', Platform],
  ['/domains', Domains],
  ['/domains/:domain', DomainPage],
  ['/managers', Managers],
  ['/templates', Templates],
  ['/delegations', Delegations],
  ['/branding', Branding],
  ['/users', UserManager],
  ['/mailbox', MyMailbox],
  ['/audit', Audit],
  ['/deleted', Deleted],
  ['/queue', Queue],
  ['/queue/:id', QueueEntry],
  ['/quarantine', Quarantine],
  ['/quarantine/:id', HeldMessage],
  ['/account', Account],
  ['/tokens', Tokens],
];

// The postmaster's domain name (the /me answer has its id only).
async function loadMe() {
  const me = await get('/me');
  if (me.role === 'postmaster' && me.domain_id) {
    try {
      me.domain_name = (await get(`/domains/%23${me.domain_id}`)).name;
    } catch (e) {
      me.domain_name = me.login.split('@')[1];
    }
  }
  return me;
}

function App() {
  const { path } = useLocation();
  const [me, setMe] = useState(undefined);
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef(null);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setMe(null);
      setCsrf(null);
    });
    loadMe().then(setMe, () => setMe(null));
  }, []);

  // Move focus to the new page's heading for keyboard and screen-reader users.
  useEffect(() => {
    setMenuOpen(false);
    const h = mainRef.current && mainRef.current.querySelector('h1');
    if (h) {
      h.setAttribute('tabindex', '-1');
      h.focus({ preventScroll: true });
    }
  }, [path, me && me.login]);

  // A quarantine notice's release link works without a login.
  if (path === '/release') return <ReleaseLink />;
  if (me === undefined) return <p class="loading">Loading…</p>;
  if (me === null) {
    if (path !== '/login') navigate(path === '/' ? '/login' : `/login?next=${encodeURIComponent(path + location.search)}`, true);
    return (
      <Login
        onLogin={async () => {
          const m = await loadMe();
          setMe(m);
          const next = new URLSearchParams(location.search).get('next');
          navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : home(m), true);
        }}
      />
    );
  }
  if (path === '/' || path === '/login') {
    navigate(home(me), true);
    return null;
  }
  let page = null;
  for (const [pattern, Page] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      page = <Page me={me} {...params} />;
      break;
    }
  }
  if (!page)
    page = (
      <>
        <h1>Not found</h1>
        <p>There is no page here.</p>
      </>
    );
  const items = menu(me);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Posthouse</span>
        <button type="button" class="menu-toggle secondary" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <span class="who">
          <span class="login">{me.login}</span> <span class="role">({me.role === 'manager' ? `${me.manager_kind} manager` : me.role})</span>
        </span>
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            try {
              await del('/session');
            } catch (e) {
              /* already gone */
            }
            setCsrf(null);
            setMe(null);
            navigate('/login');
          }}
        >
          Log out
        </button>
      </header>
      <nav id="nav" class={menuOpen ? 'open' : ''} aria-label="Main">
        <ul>
          {items.map(([href, label]) => (
            <li>
              <Link href={href} aria-current={path === href || (href !== '/' && path.startsWith(href + '/')) ? 'page' : undefined}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef}>
        {page}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app'));
