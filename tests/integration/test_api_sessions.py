"""Panel sessions and login throttling of the REST API over real HTTP, on the server's test
clock: idle and absolute session lifetimes, and the lock after repeated failures (login and
bearer-token guessing) with its end. Time moves by Server.advance_clock, never by sleeping."""
import unittest

from api_base import Client
from harness import start_server

# The lock lasts 5 minutes and failures are remembered 15 (auth/throttle.h defaults): past
# both, the address starts clean (no lock, no delay before the password is checked).
PAST_LOCK_AND_WINDOW = 15 * 60 + 1


class ApiThrottle(unittest.TestCase):
    def test_failed_logins_are_throttled_then_locked(self):
        server = start_server(self, listeners=["http"])
        c = Client(server.ports["http"])
        statuses = [c.login("admin", "wrong-password-x")[0] for _ in range(12)]
        self.assertEqual(statuses[0], 401)
        self.assertIn(429, statuses)
        st, js, r = c.request("POST", "/api/v1/session",
                              {"address": "admin", "password": server.admin_password})
        self.assertEqual(st, 429)
        self.assertEqual(js["error"]["code"], "throttled")
        retry_after = int(r.getheader("Retry-After"))
        self.assertGreater(retry_after, 0)
        # Still locked well inside the lock ...
        server.advance_clock(retry_after // 2)
        self.assertEqual(c.login("admin", server.admin_password)[0], 429)
        # ... and the right password works once the lock and the failure window are over.
        server.advance_clock(PAST_LOCK_AND_WINDOW)
        self.assertEqual(c.login("admin", server.admin_password)[0], 201)

    def test_bad_bearer_tokens_are_throttled_then_locked(self):
        server = start_server(self, listeners=["http"])
        port = server.ports["http"]
        good = Client(port)
        self.assertEqual(good.login("admin", server.admin_password)[0], 201)
        st, js, _ = good.request("POST", "/api/v1/tokens", {"name": "ci"})
        self.assertEqual(st, 201)
        secret = js["secret"]
        self.assertEqual(Client(port, token=secret).request("GET", "/api/v1/me")[0], 200)
        guess = Client(port, token="pht_" + "0" * 40)
        statuses = [guess.request("GET", "/api/v1/me")[0] for _ in range(12)]
        self.assertEqual(statuses[0], 401)
        self.assertIn(429, statuses)
        # Locked is locked for the address: the right token waits too, and says why.
        st, js, r = Client(port, token=secret).request("GET", "/api/v1/me")
        self.assertEqual(st, 429)
        self.assertEqual(js["error"]["code"], "throttled")
        self.assertTrue(int(r.getheader("Retry-After")) > 0)
        # A cookie session from the same address is not a token guess: still served.
        self.assertEqual(good.request("GET", "/api/v1/me")[0], 200)
        # Past the lock and the failure window the token is accepted again.
        server.advance_clock(PAST_LOCK_AND_WINDOW)
        self.assertEqual(Client(port, token=secret).request("GET", "/api/v1/me")[0], 200)


class ApiSessionExpiry(unittest.TestCase):
    IDLE, LIFETIME = 600, 3600

    def test_idle_and_absolute_session_expiry(self):
        server = start_server(self, listeners=["http"], extra_config=(
            f"[http]\nsession_idle_seconds = {self.IDLE}\n"
            f"session_lifetime_seconds = {self.LIFETIME}\n"))
        port = server.ports["http"]
        c = Client(port)
        st, js = c.login("admin", server.admin_password)
        self.assertEqual(st, 201)
        self.assertEqual((js["expires_in"], js["idle_timeout"]), (self.LIFETIME, self.IDLE))
        # Used every 500 s (inside the idle timeout), it lives until the absolute lifetime:
        # served at 500 .. 3500 s after login, refused at 4000 s.
        alive = []
        for _ in range(8):
            server.advance_clock(500)
            alive.append(c.request("GET", "/api/v1/me")[0])
        self.assertEqual(alive, [200] * 7 + [401])
        # Idle: unused for longer than the idle timeout, the session is gone.
        c2 = Client(port)
        self.assertEqual(c2.login("admin", server.admin_password)[0], 201)
        self.assertEqual(c2.request("GET", "/api/v1/me")[0], 200)
        server.advance_clock(self.IDLE + 100)
        st, js, r = c2.request("GET", "/api/v1/me")
        self.assertEqual(st, 401)
        self.assertEqual(js["error"]["code"], "unauthenticated")


if __name__ == "__main__":
    unittest.main()
