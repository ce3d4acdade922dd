"""Foundation: init, serve, config errors, HTTP health/metrics, limits, shutdown."""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import BIN, Server, ServerTestCase, free_port, run_cli


def serve_expect_fail(data_dir, timeout=30):
    p = subprocess.run([BIN, "serve", "--data", data_dir], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stderr


class HttpBasics(ServerTestCase):
    listeners = ["http"]
    extra_config = "[http]\nmax_header_bytes = 8192\n"

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.server.ports["http"], timeout=10)

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
        c.request("GET", "/metrics")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        text = r.read().decode()
        self.assertIn('posthouse_connections_active{listener="http"} 1', text)
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
        s = socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=10)
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
        s = socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=10)
        s.sendall(b"GARBAGE\x01 / HTTP/9\r\n\r\n")
        data = s.recv(4096)
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:100])


class Limits(unittest.TestCase):
    def setUp(self):
        self.server = Server(listeners=["http"], extra_config=(
            "[limits]\nidle_timeout_seconds = 2\nmax_connections_per_ip = 3\n"
            "shutdown_grace_seconds = 3\n"))
        self.server.start()
        self.port = self.server.ports["http"]

    def tearDown(self):
        self.server.cleanup()

    def test_slow_loris_is_closed_by_idle_timeout(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes the headers
        start = time.time()
        data = s.recv(4096)  # returns b"" when the server closes
        self.assertEqual(data, b"")
        self.assertLess(time.time() - start, 9)
        s.close()

    def test_per_ip_limit_refuses_excess_and_serves_others(self):
        held = [socket.create_connection(("127.0.0.1", self.port), timeout=10) for _ in range(3)]
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        data = extra.recv(4096)
        self.assertTrue(data.startswith(b"HTTP/1.1 503"), data)
        extra.close()
        self.assertIn("too many connections", self.server.read_log())
        for s in held:
            s.close()
        time.sleep(0.3)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", "/healthz")
        self.assertEqual(c.getresponse().status, 200)

    def test_sigterm_drains_and_exits_zero(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        start = time.time()
        code = self.server.stop(signal.SIGTERM, timeout=20)
        self.assertEqual(code, 0)
        self.assertLess(time.time() - start, 8)  # grace 3s + hard close; far under the limit
        s.close()
        self.assertIn("shutting down", self.server.read_log())


class GlobalLimit(unittest.TestCase):
    def test_global_connection_limit(self):
        srv = Server(listeners=["http"], extra_config="[limits]\nmax_connections = 2\n").start()
        try:
            port = srv.ports["http"]
            held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(2)]
            time.sleep(0.3)
            extra = socket.create_connection(("127.0.0.1", port), timeout=10)
            self.assertTrue(extra.recv(4096).startswith(b"HTTP/1.1 503"))
            extra.close()
            held[0].close()
            time.sleep(0.3)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/healthz")
            self.assertEqual(c.getresponse().status, 200)
            held[1].close()
        finally:
            srv.cleanup()


class StartupErrors(unittest.TestCase):
    def setUp(self):
        self.server = Server(listeners=["http"])

    def tearDown(self):
        self.server.cleanup()

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
        server = Server()
        self.addCleanup(server.cleanup)
        server.start()
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
        srv = Server(listeners=["http"], extra_config="[http]\ntls = true\n")
        try:
            with open(srv.config_path) as f:
                text = f.read()
            text = text.replace(f'http = "127.0.0.1:{srv.ports["http"]}"',
                                f'http = ["127.0.0.1:{srv.ports["http"]}", "[::1]:{port6}"]')
            with open(srv.config_path, "w") as f:
                f.write(text)
            srv.start(args=("--log-format", "json"))
            ctx = ssl._create_unverified_context()
            c = http.client.HTTPSConnection("127.0.0.1", srv.ports["http"], context=ctx, timeout=10)
            c.request("GET", "/healthz")
            self.assertEqual(c.getresponse().status, 200)
            try:
                c6 = http.client.HTTPSConnection("::1", port6, context=ctx, timeout=10)
                c6.request("GET", "/healthz")
                self.assertEqual(c6.getresponse().status, 200)
            except OSError as e:  # a machine without IPv6 loopback
                self.skipTest(f"no IPv6 loopback: {e}")
        finally:
            srv.stop()
            log = srv.read_log()
            srv.cleanup()
        lines = [l for l in log.splitlines() if l.strip()]
        self.assertTrue(lines)
        for line in lines:
            json.loads(line)  # every line is one JSON object
        self.assertTrue(any(f"[::1]:{port6}" in json.loads(l)["msg"] for l in lines))


if __name__ == "__main__":
    unittest.main()
