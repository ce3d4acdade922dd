import { useState } from 'preact/hooks';
import { post, setCsrf } from '../api.js';
import { Form } from '../ui.jsx';

export function Login({ onLogin }) {
  const [msg, setMsg] = useState(null);
  return (
    <main class="login-page" id="main">
      <div class="card">
        <h1>Sign in to Posthouse</h1>
        <p class="help">Administrators, postmasters, delegates and mailbox owners all sign in here with their address.</p>
        {msg && (
          <div class="notice error" role="alert">
            {msg}
          </div>
        )}
        <Form
          name="Sign in"
          submit="Sign in"
          fields={[
            { name: 'address', label: 'Address or login', required: true, autocomplete: 'username' },
            { name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password', keepEmpty: true },
          ]}
          onSubmit={async (v) => {
            setMsg(null);
            try {
              const r = await post('/session', v);
              setCsrf(r.csrf_token);
            } catch (e) {
              if (e.status === 429) {
                const wait = e.retryAfter ? ` Try again in ${Math.ceil(e.retryAfter / 60)} minute(s).` : ' Try again later.';
                setMsg('Too many failed sign-ins from here or for this login.' + wait);
              } else if (e.status === 401) {
                setMsg('Wrong login or password. After several failures sign-in is slowed down, then locked for a while.');
              } else {
                throw e;
              }
              return;
            }
            await onLogin();
          }}
        />
      </div>
    </main>
  );
}
