"""The web panel's files on the http listener (src/server/http/static_files.h), through real
HTTP: index.html for the app's routes, content types, caching, 404s, no traversal. Uses its
own small web root, so it needs no npm build."""
import http.client
import json
import os
import shutil
import tempfile
import unittest

from harness import WAIT, start_server

INDEX = b"<!doctype html><title>panel</title>"
ASSET = b"console.log('panel')"


def get(port, target, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        # skip_host plus a raw target: nothing normalises the path before the server sees it.
        c.putrequest(method, target, skip_accept_encoding=True)
        c.endheaders()
        r = c.getresponse()
        return r.status, r.read(), r
    finally:
        c.close()


class WebRoot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="posthouse-web-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        root = os.path.join(cls.tmp, "dist")
        os.makedirs(os.path.join(root, "assets"))
        with open(os.path.join(root, "index.html"), "wb") as f:
            f.write(INDEX)
        with open(os.path.join(root, "assets", "index-AbC123.js"), "wb") as f:
            f.write(ASSET)
        with open(os.path.join(root, "favicon.svg"), "wb") as f:
            f.write(b"<svg/>")
        with open(os.path.join(cls.tmp, "secret.txt"), "wb") as f:
            f.write(b"outside the web root")
        cls.server = start_server(cls, listeners=["http"],
                                  extra_config=f'[http]\nweb_root = "{root}"\n')
        cls.port = cls.server.ports["http"]

    def test_app_routes_get_index_revalidated(self):
        for target in ("/", "/login", "/domains/acme.example", "/users/", "/mailboxes/a@b.example"):
            st, body, r = get(self.port, target)
            self.assertEqual(st, 200, target)
            self.assertEqual(body, INDEX, target)
            self.assertEqual(r.getheader("Content-Type"), "text/html; charset=utf-8")
            self.assertEqual(r.getheader("Cache-Control"), "no-cache")
            self.assertIn("frame-ancestors 'none'", r.getheader("Content-Security-Policy"))

    def test_hashed_assets_are_immutable(self):
        st, body, r = get(self.port, "/assets/index-AbC123.js")
        self.assertEqual(st, 200)
        self.assertEqual(body, ASSET)
        self.assertEqual(r.getheader("Content-Type"), "text/javascript; charset=utf-8")
        self.assertEqual(r.getheader("Cache-Control"), "public, max-age=31536000, immutable")
        st, body, r = get(self.port, "/favicon.svg")
        self.assertEqual((st, r.getheader("Content-Type")), (200, "image/svg+xml"))
        st, body, r = get(self.port, "/assets/index-AbC123.js", method="HEAD")
        self.assertEqual((st, body), (200, b""))

    def test_missing_assets_are_404(self):
        for target in ("/assets/index-gone.js", "/assets/nothing", "/missing.css"):
            st, body, r = get(self.port, target)
            self.assertEqual(st, 404, target)
            self.assertEqual(json.loads(body)["error"]["code"], "not_found")

    def test_no_traversal(self):
        for target in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                       "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt",
                       "/assets/..%5c..%5csecret.txt", "/%00", "//etc/passwd",
                       "/.%2e/.%2e/.%2e/etc/passwd"):
            st, body, r = get(self.port, target)
            self.assertIn(st, (400, 404), target)
            self.assertNotIn(b"outside the web root", body, target)
            self.assertNotIn(b"root:", body, target)

    def test_api_paths_never_fall_back_to_the_app(self):
        st, body, r = get(self.port, "/api/v1/no-such-route")
        self.assertEqual(st, 404)
        self.assertEqual(json.loads(body)["error"]["code"], "not_found")
        st, body, r = get(self.port, "/api/v1/openapi.json")
        self.assertEqual(st, 200)
        self.assertIn("paths", json.loads(body))
        # Only GET and HEAD reach the files.
        st, body, r = get(self.port, "/", method="POST")
        self.assertEqual(st, 404)


class NoWebRoot(unittest.TestCase):
    def test_empty_web_root_serves_no_panel(self):
        server = start_server(self, listeners=["http"], extra_config='[http]\nweb_root = ""\n')
        st, body, r = get(server.ports["http"], "/")
        self.assertEqual(st, 404)
        st, body, r = get(server.ports["http"], "/healthz")
        self.assertEqual(st, 200)

    def test_unbuilt_panel_says_so(self):
        server = start_server(self, listeners=["http"],
                              extra_config='[http]\nweb_root = "/nonexistent/web/dist"\n')
        st, body, r = get(server.ports["http"], "/")
        self.assertEqual(st, 503)
        self.assertIn("not built", json.loads(body)["error"]["message"])


if __name__ == "__main__":
    unittest.main()
