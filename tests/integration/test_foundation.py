"""Foundation: init, serve, config errors, HTTP health/metrics, limits, shutdown."""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import unittest

from harness import (BIN, WAIT, ServerTestCase, check_no_sanitizer_report, free_port, run_cli,
                     start_server, wait_for)


def serve_expect_fail(data_dir, timeout=WAIT):
    p = subprocess.run([BIN, "serve", "--data", data_dir], capture_output=True, text=True,
                       timeout=timeout)
    check_no_sanitizer_report("serve", p.stderr)
    return p.returncode, p.stderr


class HttpBasics(ServerTestCase):
    listeners = ["http"]
    extra_config = "[http]\nmax_header_bytes = 8192\n"

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.server.ports["http"], timeout=WAIT)

    def test_healthz(self):
        c = self.conn()
        c.request("GET", "/healthz")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        body = json.loads(r.read())
        self.assertEqual(body["status"], "ok")
        self.assertIn("version", body)
        self.assertIsInstance(body["uptime_seconds"], int)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        c = self.conn()
        for _ in range(3):
            c.request("GET", "/healthz")
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            r.read()

    def test_metrics_prometheus_text(self):
        c = self.conn()
        seen = {}

        def only_this_connection():
            c.request("GET", "/metrics")
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            seen["text"] = r.read().decode()
            return 'posthouse_connections_active{listener="http"} 1\n' in seen["text"]

        # The connections of earlier tests are released asynchronously (a loaded machine may
        # still count them): the gauge must come down to this one connection.
        wait_for(only_this_connection, "the active-connection gauge to count only this one")
        text = seen["text"]
        self.assertRegex(text, r"posthouse_uptime_seconds \d+\.\d+")
        self.assertRegex(text, r'posthouse_bytes_sent_total\{listener="http"\} \d+')

    def test_unknown_path_is_json_404_and_wrong_method_405(self):
        c = self.conn()
        # Other unknown paths are the web panel's routes (test_web.py).
        c.request("GET", "/api/nope")
        r = c.getresponse()
        self.assertEqual(r.status, 404)
        self.assertEqual(json.loads(r.read())["error"]["code"], "not_found")
        c.request("DELETE", "/healthz")
        r = c.getresponse()
        self.assertEqual(r.status, 405)
        r.read()

    def test_one_megabyte_header_gets_431_and_server_stays_up(self):
        s = socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=WAIT)
        big = "X-Big: " + "a" * (1 << 20) + "\r\n"
        try:
            s.sendall(("GET /healthz HTTP/1.1\r\nHost: x\r\n" + big + "\r\n").encode())
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 431"), data[:100])
        self.test_healthz()

    def test_malformed_request_gets_400(self):
        s = socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=WAIT)
        s.sendall(b"GARBAGE\x01 / HTTP/9\r\n\r\n")
        data = s.recv(4096)
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:100])


def get_healthz(sock):
    """One keep-alive request on an open socket; returns the status line. A connection that
    got an answer was accepted and counted by the server."""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0]


def healthz_status(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        c.request("GET", "/healthz")
        return c.getresponse().status
    except (ConnectionError, http.client.HTTPException):
        return None  # refused at the door (503 and close before the request was read)
    finally:
        c.close()


class Limits(unittest.TestCase):
    def setUp(self):
        self.server = start_server(self, listeners=["http"], extra_config=(
            "[limits]\nidle_timeout_seconds = 2\nmax_connections_per_ip = 3\n"
            "shutdown_grace_seconds = 3\n"))
        self.port = self.server.ports["http"]

    def test_slow_loris_is_closed_by_idle_timeout(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        self.addCleanup(s.close)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes the headers
        data = s.recv(4096)  # b"" when the server closes; a hang fails after WAIT
        self.assertEqual(data, b"")
        wait_for(lambda: "idle timeout, closing connection" in self.server.read_log(),
                 "the idle-timeout log line")

    def test_per_ip_limit_refuses_excess_and_serves_others(self):
        held = []
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
            self.addCleanup(s.close)
            self.assertEqual(get_healthz(s), b"HTTP/1.1 200 OK")  # accepted and counted
            held.append(s)
        extra = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        data = extra.recv(4096)
        self.assertTrue(data.startswith(b"HTTP/1.1 503"), data)
        extra.close()
        self.assertIn("too many connections", self.server.read_log())
        for s in held:
            s.close()
        # The server frees the slots when it sees the closes: served again once it has.
        wait_for(lambda: healthz_status(self.port) == 200, "a slot to be free again")

class Shutdown(unittest.TestCase):
    """SIGTERM: stop accepting, let sessions finish for shutdown_grace_seconds, close the rest,
    exit 0. The idle timeout is far above the grace, so only the shutdown closes sessions."""

    def test_sigterm_drains_and_exits_zero(self):
        server = start_server(self, listeners=["http"], extra_config=(
            "[limits]\nidle_timeout_seconds = 300\nshutdown_grace_seconds = 3\n"))
        port = server.ports["http"]
        idle, busy = (socket.create_connection(("127.0.0.1", port), timeout=WAIT)
                      for _ in range(2))
        self.addCleanup(idle.close)
        self.addCleanup(busy.close)
        for s in (idle, busy):
            self.assertEqual(get_healthz(s), b"HTTP/1.1 200 OK")  # open keep-alive sessions
        server.send_signal(signal.SIGTERM)
        wait_for(lambda: "shutting down: no new connections" in server.read_log(),
                 "the shutdown to begin")
        # A request during the grace period is still answered, and that session then ends.
        self.assertEqual(get_healthz(busy), b"HTTP/1.1 200 OK")
        self.assertEqual(busy.recv(4096), b"")
        # The idle session outlives the grace period: the server closes it, then exits 0.
        self.assertEqual(idle.recv(4096), b"")
        self.assertEqual(server.stop(), 0)
        log = server.read_log()
        self.assertRegex(log, r"draining 2 sessions \(up to 3s\)")
        self.assertRegex(log, r"closing 1 sessions still open after the grace period")


class GlobalLimit(unittest.TestCase):
    def test_global_connection_limit(self):
        srv = start_server(self, listeners=["http"],
                           extra_config="[limits]\nmax_connections = 2\n")
        port = srv.ports["http"]
        held = []
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            self.addCleanup(s.close)
            self.assertEqual(get_healthz(s), b"HTTP/1.1 200 OK")
            held.append(s)
        extra = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.assertTrue(extra.recv(4096).startswith(b"HTTP/1.1 503"))
        extra.close()
        held[0].close()
        wait_for(lambda: healthz_status(port) == 200, "a slot to be free again")


class StartupErrors(unittest.TestCase):
    def setUp(self):
        self.server = start_server(self, start=False, listeners=["http"])

    def write_config(self, text):
        with open(self.server.config_path, "w") as f:
            f.write(text)

    def test_malformed_toml_exits_2_with_file_and_line(self):
        self.write_config('[server]\nhostname = "x"\n[listen\n')
        code, err = serve_expect_fail(self.server.data)
        self.assertEqual(code, 2)
        self.assertIn(self.server.config_path + ":3:", err)

    def test_unknown_key_exits_2_naming_key(self):
        with open(self.server.config_path) as f:
            text = f.read()
        self.write_config(text.replace("[limits]\n", "[limits]\nmax_conections = 5\n"))
        code, err = serve_expect_fail(self.server.data)
        self.assertEqual(code, 2)
        self.assertRegex(err, r"posthouse\.toml:\d+: limits\.max_conections: unknown key")

    def test_port_in_use_names_the_address(self):
        blocker = socket.socket()
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", self.server.ports["http"]))
        blocker.listen()
        try:
            code, err = serve_expect_fail(self.server.data)
        finally:
            blocker.close()
        self.assertEqual(code, 1)
        self.assertIn(f"cannot listen on 127.0.0.1:{self.server.ports['http']} for http", err)

    def test_unreadable_certificate_exits_2(self):
        os.remove(os.path.join(self.server.data, "tls", "cert.pem"))
        code, err = serve_expect_fail(self.server.data)
        self.assertEqual(code, 2)
        self.assertIn("cannot read TLS file", err)
        self.assertIn("cert.pem", err)

    def test_garbage_certificate_exits_2(self):
        with open(os.path.join(self.server.data, "tls", "cert.pem"), "w") as f:
            f.write("not a certificate\n")
        code, err = serve_expect_fail(self.server.data)
        self.assertEqual(code, 2)
        self.assertIn("bad TLS certificate", err)

    def test_missing_config_file(self):
        code, err = serve_expect_fail(os.path.join(self.server.dir, "nowhere"))
        self.assertEqual(code, 2)
        self.assertIn("cannot read config file", err)

    def test_init_refuses_to_overwrite_without_force(self):
        p = run_cli("init", "--data", self.server.data, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--force", p.stderr)
        p = run_cli("init", "--data", self.server.data, "--force", check=False)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_init_into_unwritable_place_fails_clearly(self):
        target = os.path.join(self.server.config_path, "sub")  # below a regular file
        p = run_cli("init", "--data", target, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot create", p.stderr)

    def test_serve_with_unusable_data_dir_fails_clearly(self):
        with open(self.server.config_path) as f:
            text = f.read()
        blocker = os.path.join(self.server.dir, "plainfile")
        open(blocker, "w").close()
        self.write_config(text.replace('data_dir = "."', f'data_dir = "{blocker}"'))
        code, err = serve_expect_fail(self.server.data)
        self.assertEqual(code, 1)
        self.assertIn(f"data dir {blocker} is not writable", err)

    def test_init_prints_admin_password_once_and_stores_only_a_hash(self):
        pw = self.server.admin_password
        self.assertIsNotNone(pw)
        self.assertGreaterEqual(len(pw), 16)
        blob = b""
        for name in os.listdir(self.server.data):
            path = os.path.join(self.server.data, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    blob += f.read()
        self.assertNotIn(pw.encode(), blob)
        self.assertIn(b"$argon2id$", blob)

    def test_init_writes_private_key_0600(self):
        mode = os.stat(os.path.join(self.server.data, "tls", "key.pem")).st_mode & 0o777
        self.assertEqual(mode, 0o600)

    def test_version_and_help(self):
        p = run_cli("--version")
        self.assertRegex(p.stdout, r"posthouse \d+\.\d+\.\d+")
        p = run_cli("--help")
        self.assertIn("serve", p.stdout)
        p = run_cli("frobnicate", check=False)
        self.assertEqual(p.returncode, 2)


class CrashDebrisSweep(unittest.TestCase):
    def test_startup_removes_uncommitted_bodies_and_temporaries_only(self):
        """What a SIGKILL leaves in blobs/ (a body renamed into place whose batch never
        committed, a half-written temporary) is removed when the server starts; `check` is
        then clean without --repair."""
        import hashlib
        server = start_server(self)
        server.stop()
        body = b"From: a@b\r\n\r\nnever committed\r\n"
        sha = hashlib.sha256(body).hexdigest()
        blobs = os.path.join(server.data, "blobs")
        os.makedirs(os.path.join(blobs, sha[:2], sha[2:4]), exist_ok=True)
        with open(os.path.join(blobs, sha[:2], sha[2:4], sha), "wb") as f:
            f.write(body)
        with open(os.path.join(blobs, sha[:2], sha[2:4], sha + ".tmp"), "wb") as f:
            f.write(body[:5])
        before = server.cli("check", check=False)
        self.assertEqual(before.returncode, 1, before.stdout)
        self.assertIn("is not referenced", before.stdout)
        self.assertIn("stray file", before.stdout)
        server.start()
        after = server.cli("check", check=False)
        self.assertEqual(after.returncode, 0, after.stdout)
        self.assertIn("removed 2 crash leftovers", server.read_log())
        self.assertEqual([n for _, _, files in os.walk(blobs) for n in files], [])


class TlsIpv6AndJsonLogs(unittest.TestCase):
    def test_https_ipv6_and_json_log_lines(self):
        port6 = free_port()
        srv = start_server(self, start=False, listeners=["http"],
                           extra_config="[http]\ntls = true\n")
        with open(srv.config_path) as f:
            text = f.read()
        text = text.replace(f'http = "127.0.0.1:{srv.ports["http"]}"',
                            f'http = ["127.0.0.1:{srv.ports["http"]}", "[::1]:{port6}"]')
        with open(srv.config_path, "w") as f:
            f.write(text)
        srv.start(args=("--log-format", "json"))
        ctx = ssl._create_unverified_context()
        c = http.client.HTTPSConnection("127.0.0.1", srv.ports["http"], context=ctx, timeout=WAIT)
        self.addCleanup(c.close)
        c.request("GET", "/healthz")
        self.assertEqual(c.getresponse().status, 200)
        try:
            c6 = http.client.HTTPSConnection("::1", port6, context=ctx, timeout=WAIT)
            self.addCleanup(c6.close)
            c6.request("GET", "/healthz")
            self.assertEqual(c6.getresponse().status, 200)
        except OSError as e:  # a machine without IPv6 loopback
            self.skipTest(f"no IPv6 loopback: {e}")
        self.assertEqual(srv.stop(), 0)
        log = srv.read_log()
        lines = [l for l in log.splitlines() if l.strip()]
        self.assertTrue(lines)
        for line in lines:
            json.loads(line)  # every line is one JSON object
        self.assertTrue(any(f"[::1]:{port6}" in json.loads(l)["msg"] for l in lines))


if __name__ == "__main__":
    unittest.main()
