#!/usr/bin/env python3
"""Deterministic generator of realistic web access logs in the "combined" format.

    $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"

optionally (--rt) followed by ` $request_time` (seconds, three decimals, as nginx
prints it).

Properties (all driven by one seeded PRNG, so the same --seed and arguments give
byte-identical output on any CPython 3.8+; only Random.random() is used after
seeding, whose sequence is stable across versions; --rt draws from a second
stream, so its output is the plain output plus one column):

* timestamps never decrease and span one day (10/Oct/2026, offset +0200 by
  default), with a diurnal traffic curve (quiet at night, busy afternoon);
* status mix: mostly 200, some 301/302/304/206, ~5% 404, a little
  403/500/502/503, 201/204 for some writes, and ~0.1% 400s from binary junk;
* clients from a skewed pool (a few heavy hitters, a long tail), ~10% IPv6;
* remote_user "-" except for a few authenticated requests;
* methods mostly GET, some POST/HEAD/PUT/DELETE/OPTIONS; HTTP/1.1, HTTP/2.0,
  a little HTTP/1.0;
* paths from a plausible site (pages, blog, shop, API, static assets,
  scanner probes), query strings sometimes;
* referer "-" often; a pool of real-world user agents, some containing
  escaped quotes (\\" as Apache/nginx write them), and "-" sometimes;
* ~0.1% of requests are nginx \\xHH-escaped binary junk (TLS/RDP/... sent to
  a plain-HTTP port), status 400;
* body bytes "0" for 304/204/HEAD, and "-" now and then (Apache's %b style).

Every line whose status is 404 has a regular three-part request line and a
user name without spaces, so `awk '$9==404'` and `grep -c '" 404 '` both
count the 404s exactly (use --stats to print the true counts to stderr).
"""

import argparse
import math
import random
import sys
from bisect import bisect_right

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# Relative traffic per hour of the (local) day.
HOURLY = [22, 15, 10, 8, 7, 9, 16, 30, 52, 70, 80, 86,
          90, 92, 95, 96, 94, 90, 84, 78, 70, 60, 45, 32]


def weighted(pairs):
    """[(item, weight), ...] -> (items, cumulative weights, total)."""
    items, cum, acc = [], [], 0.0
    for item, w in pairs:
        acc += w
        items.append(item)
        cum.append(acc)
    return items, cum, acc


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.r = self.rng.random
        # request_time has its own stream so that --rt only appends a column:
        # the lines are otherwise byte-identical to the output without --rt.
        self.rt_r = random.Random("request_time-%d" % seed).random
        self._build_pools()

    # -- helpers -----------------------------------------------------------
    def pick(self, table):
        items, cum, total = table
        return items[bisect_right(cum, self.r() * total)]

    def below(self, n):
        return int(self.r() * n)

    def hexword(self):
        return "%x" % self.below(0x10000)

    # -- pools -------------------------------------------------------------
    def _build_pools(self):
        r, below = self.r, self.below

        # Clients: heavy-tailed weights (Zipf-ish), ~10% of requests from IPv6.
        v4_prefixes = [
            (66, 249), (157, 55), (40, 77), (17, 58), (185, 220), (91, 198),
            (203, 0), (198, 51), (81, 2), (82, 64), (83, 212), (88, 198),
            (93, 184), (104, 28), (109, 190), (141, 101), (151, 101),
            (172, 217), (176, 9), (188, 114), (192, 168), (10, 0), (37, 120),
            (46, 4), (78, 46), (94, 130), (95, 216), (5, 9), (62, 210),
            (213, 180), (217, 160), (194, 150), (185, 199), (146, 75),
        ]
        v6_prefixes = [
            "2a01:4f8", "2a02:810d", "2001:16b8", "2a00:1450", "2600:1700",
            "2a03:2880", "2001:67c", "2a0a:a540", "2003:e9", "2604:a880",
            "2001:db8", "2a02:8109",
        ]
        clients = []
        for i in range(6000):
            w = 1.0 / (i + 8) ** 1.05
            if r() < 0.10:
                p = v6_prefixes[below(len(v6_prefixes))]
                shape = r()
                if shape < 0.45:   # SLAAC-like full interface id
                    addr = "%s:%s:%s:%s:%s:%s:%s" % (
                        p, self.hexword(), self.hexword(), self.hexword(),
                        self.hexword(), self.hexword(), self.hexword())
                elif shape < 0.85:  # compressed
                    addr = "%s:%s::%s" % (p, self.hexword(), self.hexword())
                else:
                    addr = "%s::%x" % (p, 1 + below(255))
                clients.append((addr, w))
            else:
                a, b = v4_prefixes[below(len(v4_prefixes))]
                clients.append(("%d.%d.%d.%d" % (a, b, below(256), 1 + below(254)), w))
        # Rescale so IPv6 carries ~10% of *requests*, not just of the pool.
        v6 = sum(w for a, w in clients if ":" in a)
        v4 = sum(w for a, w in clients if ":" not in a)
        self.clients = weighted([(a, w * (0.10 / v6 if ":" in a else 0.90 / v4))
                                 for a, w in clients])

        self.users = weighted([
            ("-", 982), ("alice", 4), ("bob", 3), ("admin", 3), ("jdoe", 2),
            ("m.schmidt", 2), ("deploy", 1), ("frank", 1), ("svc-backup", 1),
            ("carol", 1),
        ])

        self.protos = weighted([("HTTP/1.1", 70), ("HTTP/2.0", 27), ("HTTP/1.0", 3)])

        # Site structure.
        slugs = ["hello-world", "rust-vs-go", "tuning-nginx", "log-parsing-at-scale",
                 "why-we-moved-to-postgres", "a-week-in-lisbon", "zero-copy-io",
                 "on-call-lessons", "release-notes-2-4", "benchmarks-done-right",
                 "understanding-tls", "ipv6-in-2026", "cache-invalidation",
                 "small-binaries", "fast-json", "new-office", "hiring",
                 "incident-2026-03-14", "migrating-to-http2", "caching-static-assets"]
        cats = ["shoes", "jackets", "bags", "hats", "socks", "sale", "new-in", "gifts"]
        terms = ["red+shoes", "rain%20jacket", "gift+card", "size+42", "wool",
                 "caf%C3%A9", "returns", "shipping+time", "black", "xl"]
        assets = [
            "/static/css/main.3f9a1c2e.css", "/static/css/vendor.77b01d4a.css",
            "/static/js/app.9c1e44b0.js", "/static/js/vendor.1a2b3c4d.js",
            "/static/js/runtime.e5f6a7b8.js", "/static/fonts/inter-var.woff2",
            "/static/fonts/inter-var-italic.woff2", "/images/logo.svg",
            "/images/hero-2026.webp", "/images/og-default.png", "/favicon.ico",
            "/apple-touch-icon.png", "/manifest.webmanifest",
        ]
        self.slugs, self.cats, self.terms, self.assets = slugs, cats, terms, assets

        # "Good" GET paths: (kind, weight); kinds are expanded per request.
        self.get_kinds = weighted([
            ("asset", 46), ("/", 8), ("page", 8), ("blog", 9), ("product", 9),
            ("category", 5), ("search", 3), ("api", 8), ("robots", 1),
            ("feed", 1.5), ("sitemap", 0.5), ("health", 1),
        ])
        self.pages = ["/about", "/contact", "/pricing", "/faq", "/careers",
                      "/privacy", "/terms", "/login", "/cart", "/account",
                      "/blog/", "/shop/", "/docs/", "/docs/getting-started",
                      "/docs/api", "/status"]
        self.redirect_paths = ["/blog", "/shop", "/docs", "/old-shop/index.php",
                               "/index.html", "/home", "/about/", "/en/", "/wp/",
                               "/products.php?id=%d", "/blog/2025/%02d/"]
        self.missing_paths = [
            "/wp-login.php", "/wp-admin/", "/.env", "/.git/config", "/xmlrpc.php",
            "/phpmyadmin/", "/admin.php", "/config.json", "/backup.zip",
            "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
            "/cgi-bin/luci/;stok=/locale", "/.aws/credentials", "/server-status",
            "/actuator/health", "/owa/auth/logon.aspx", "/HNAP1/",
            "/boaform/admin/formLogin", "/solr/admin/info/system?wt=json",
            "/api/v1/items/999999", "/blog/this-post-was-deleted",
            "/images/old-logo.png", "/static/js/app.0badc0de.js",
            "/static/css/main.deadbeef.css", "/favicon.png",
            "/apple-touch-icon-precomposed.png", "/ads.txt", "/.well-known/security.txt",
            "/shop/discontinued-item-%d", "/p/%d", "/docs/v1/%d",
        ]
        self.forbidden_paths = ["/admin/", "/admin/users", "/internal/metrics",
                                "/.htaccess", "/uploads/", "/server-info",
                                "/api/v1/admin/export"]
        self.error_paths = ["/api/v1/checkout", "/api/v1/search?q=%s",
                            "/search?q=%s&page=%d", "/api/v1/items?page=%d",
                            "/account/orders", "/api/v1/recommendations"]

        self.referers = weighted([
            ("-", 38), ("self", 40), ("https://www.google.com/", 12),
            ("https://www.bing.com/", 2), ("https://duckduckgo.com/", 2),
            ("https://news.ycombinator.com/", 1), ("https://t.co/AbC123xYz", 1),
            ("https://www.reddit.com/r/programming/", 1),
            ("https://www.facebook.com/", 1),
            ("android-app://com.google.android.gm/", 0.5),
            ("http://localhost:3000/", 0.2),
        ])

        self.agents = weighted([
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36", 26),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36", 9),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15", 8),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1", 12),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.6668.81 Mobile Safari/537.36", 8),
            ("Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36", 5),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0", 6),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0", 2),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36", 2),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.2792.65", 4),
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 4),
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/129.0.6668.70 Safari/537.36", 2),
            ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 2),
            ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 1),
            ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", 0.5),
            ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", 0.5),
            ("Twitterbot/1.0", 0.3),
            ("curl/8.5.0", 1.5),
            ("curl/7.88.1", 0.5),
            ("python-requests/2.32.3", 1),
            ("Go-http-client/1.1", 0.8),
            ("Wget/1.21.4", 0.2),
            ("kube-probe/1.30", 0.5),
            ("Prometheus/2.54.1", 0.3),
            ("Mozilla/5.0 zgrab/0.x", 0.3),
            ("Mozilla/5.0 (compatible; Odin; https://docs.getodin.com/)", 0.1),
            # Escaped quotes, as written by Apache (\") and nginx (\x22 / \").
            ('Mozilla/5.0 (compatible; \\"MonitorBot\\"/2.1; +https://monitor.example.net/)', 0.2),
            ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) \\"Mozilla/5.0\\" AppleWebKit/537.36 (KHTML, like Gecko)', 0.1),
            ('\\"Mozilla/5.0 (X11; Linux x86_64)\\"', 0.05),
            ('Java/17.0.12 \\"HttpClient\\"', 0.05),
            ("-", 0.4),
        ])

        # Binary junk sent to a plain-HTTP port, as nginx escapes it (\xHH).
        self.junk = weighted([
            ("\\x16\\x03\\x01\\x00\\xA5\\x01\\x00\\x00\\xA1\\x03\\x03", 40),
            ("\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03\\x9B\\x1E\\xC5\\x8A", 20),
            ("\\x16\\x03\\x01\\x00\\xEE\\x01\\x00\\x00\\xEA\\x03\\x03\\xC3\\xB2G\\x1F\\x7F", 10),
            ("\\x03\\x00\\x00/*\\xE0\\x00\\x00\\x00\\x00\\x00Cookie: mstshash=Administr", 8),
            ("\\x00\\x00\\x00TZ\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00", 5),
            ("SSH-2.0-Go", 5),
            ("\\x05\\x01\\x00", 4),
            ("MGLNDD_198.51.100.7_443", 3),
            ("\\xFF\\xF4\\xFF\\xFD\\x06", 3),
            ("t3 12.2.1\\x0AAS:255\\x0AHL:19\\x0AMS:10000000\\x0A\\x0A", 2),
        ])

        self.statuses_get = weighted([
            (200, 80.3), (304, 6.0), (301, 3.0), (302, 1.4), (206, 1.0),
            (404, 5.2), (403, 0.7), (500, 0.3), (502, 0.2), (503, 0.2),
            (499, 0.1),
        ])

    # -- per-request pieces --------------------------------------------------
    def fill(self, template):
        """Expand %d / %02d / %s placeholders in a path template."""
        if "%" not in template:
            return template
        args = []
        i = 0
        while True:
            i = template.find("%", i)
            if i < 0:
                break
            spec = template[i + 1:i + 4]
            if spec.startswith("02d"):
                args.append(1 + self.below(12))
            elif spec.startswith("d"):
                args.append(1 + self.below(20 if template.endswith("page=", 0, i) else 5000))
            elif spec.startswith("s"):
                args.append(self.terms[self.below(len(self.terms))])
            i += 1
        return template % tuple(args)

    def good_path(self):
        b = self.below
        k = self.pick(self.get_kinds)
        if k == "asset":
            p = self.assets[b(len(self.assets))]
            if self.r() < 0.08:
                p += "?v=%d" % (1 + b(40))
            return p
        if k == "/":
            return "/" if self.r() < 0.85 else "/?utm_source=newsletter&utm_medium=email&utm_campaign=oct-2026"
        if k == "page":
            return self.pages[b(len(self.pages))]
        if k == "blog":
            p = "/blog/2026/%02d/%s" % (1 + b(10), self.slugs[b(len(self.slugs))])
            if self.r() < 0.1:
                p += "?ref=hn"
            return p
        if k == "product":
            p = "/shop/%s/item-%d" % (self.cats[b(len(self.cats))], 1000 + b(4000))
            x = self.r()
            if x < 0.15:
                p += "?color=%s&size=%d" % (("black", "navy", "red", "olive")[b(4)], 36 + b(12))
            elif x < 0.20:
                p += "?utm_source=google&utm_medium=cpc&gclid=Cj0KCQjw%d" % b(10 ** 9)
            return p
        if k == "category":
            p = "/shop/%s/" % self.cats[b(len(self.cats))]
            if self.r() < 0.4:
                p += "?page=%d&sort=%s" % (1 + b(9), ("price", "new", "popular")[b(3)])
            return p
        if k == "search":
            return "/search?q=%s&page=%d" % (self.terms[b(len(self.terms))], 1 + b(3))
        if k == "api":
            x = self.r()
            if x < 0.4:
                return "/api/v1/items?page=%d&per_page=50" % (1 + b(200))
            if x < 0.7:
                return "/api/v1/items/%d" % (1000 + b(4000))
            if x < 0.85:
                return "/api/v1/cart"
            return "/api/v1/session"
        if k == "robots":
            return "/robots.txt"
        if k == "feed":
            return "/blog/feed.xml"
        if k == "sitemap":
            return "/sitemap.xml"
        return "/healthz"

    def referer(self, host):
        ref = self.pick(self.referers)
        if ref == "self":
            # a same-site page (not an asset) linked to this request
            for _ in range(4):
                p = self.good_path()
                if not (p.startswith("/static/") or p.startswith("/images/")):
                    break
            else:
                p = "/"
            return host + p
        return ref

    def request(self):
        """Return (request, status, bytes, is_static, is_junk)."""
        r, b = self.r, self.below
        x = r()
        if x < 0.001:  # binary junk on a plain port
            return self.pick(self.junk), 400, ("157" if r() < 0.6 else "0"), True, True
        if x < 0.0014:  # malformed but printable
            return ("GET /%s" % ("index.html", "", "../../etc/passwd")[b(3)],
                    400, "157", True, True)

        x = r()
        if x < 0.900:
            method = "GET"
        elif x < 0.960:
            method = "POST"
        elif x < 0.985:
            method = "HEAD"
        elif x < 0.990:
            method = "PUT"
        elif x < 0.993:
            method = "DELETE"
        else:
            method = "OPTIONS"
        proto = self.pick(self.protos)

        if method in ("GET", "HEAD"):
            status = self.pick(self.statuses_get)
            if status == 404:
                path = self.fill(self.missing_paths[b(len(self.missing_paths))]) \
                    if r() < 0.7 else self.good_path() + ("x" if r() < 0.5 else "")
            elif status in (301, 302):
                path = self.fill(self.redirect_paths[b(len(self.redirect_paths))]) \
                    if r() < 0.7 else self.good_path()
            elif status == 403:
                path = self.forbidden_paths[b(len(self.forbidden_paths))]
            elif status >= 499:
                path = self.fill(self.error_paths[b(len(self.error_paths))])
            elif status in (304, 206):
                path = self.assets[b(len(self.assets))]
            else:
                path = self.good_path()
        else:
            api = ["/api/v1/cart", "/api/v1/items/%d", "/api/v1/session",
                   "/api/v1/checkout", "/login", "/contact", "/api/v1/events"]
            path = self.fill(api[b(len(api))])
            y = r()
            if method == "OPTIONS":
                status = 204 if y < 0.97 else 405
            elif y < 0.72:
                status = 200
            elif y < 0.84:
                status = 201 if method in ("POST", "PUT") else 204
            elif y < 0.90:
                status = 302
            elif y < 0.93:
                status = 400
            elif y < 0.96:
                status = 401
            elif y < 0.974:
                status = 404
            elif y < 0.984:
                status = 413 if method in ("POST", "PUT") else 409
            elif y < 0.993:
                status = 500
            elif y < 0.997:
                status = 502
            else:
                status = 503

        # Body size.
        if status in (304, 204) or method == "HEAD":
            nbytes = "-" if r() < 0.15 else "0"
        elif status == 200:
            if path.startswith("/static/") or path.startswith("/images/"):
                nbytes = str(1200 + b(480000))
            elif path.startswith("/api/"):
                nbytes = str(40 + b(24000))
            else:
                nbytes = str(2800 + b(90000))
            if r() < 0.002:
                nbytes = "0"   # client went away
        elif status == 206:
            nbytes = str(65536 * (1 + b(16)))
        elif status in (301, 302):
            nbytes = ("162", "169", "0", "-")[b(4)]
        elif status == 404:
            nbytes = ("153", "555", "1862", "0", "-")[b(5)]
        elif status == 499:
            nbytes = "0"
        elif status >= 500:
            nbytes = ("177", "157", "559", "0")[b(4)]
        else:
            nbytes = str(100 + b(600))
        is_static = path.startswith("/static/") or path.startswith("/images/")
        return "%s %s %s" % (method, path, proto), status, nbytes, is_static, False

    def request_time(self, status, is_static):
        r = self.rt_r
        if is_static:
            base = 0.002
        elif status >= 500:
            base = 2.5 if status != 502 else 0.8
        else:
            base = 0.045
        t = -base * math.log(1.0 - r())
        if status == 504 or (status >= 500 and r() < 0.1):
            t += 30.0
        return "%.3f" % t


def second_schedule(n):
    """Yield the second-of-day (0..86399) for each of n lines, non-decreasing,
    following the diurnal HOURLY curve."""
    total_w = float(sum(HOURLY))
    counts = [int(n * w / total_w) for w in HOURLY]
    # distribute the remainder to the busiest hours, deterministically
    rem = n - sum(counts)
    order = sorted(range(24), key=lambda h: (-HOURLY[h], h))
    for k in range(rem):
        counts[order[k % 24]] += 1
    for h, c in enumerate(counts):
        if c == 0:
            continue
        step = 3600.0 / c
        base = h * 3600
        for k in range(c):
            yield base + int(k * step)


# What moby's json-file encoder escapes (ffjsonWriteJSONBytesAsString): the
# JSON specials, control bytes, and <, >, & as \u003c... (our lines are
# printable ASCII, so only these occur).
DOCKER_ESCAPES = str.maketrans({'"': '\\"', "\\": "\\\\", "<": "\\u003c",
                                ">": "\\u003e", "&": "\\u0026"})


def docker_json(line, y, mo, d, utc_sec, n):
    """`line` as a json-file record, at second `utc_sec` of the day (UTC; may
    fall on the day before), with nanoseconds from the line's number."""
    day = d
    if utc_sec < 0:  # good enough for a benchmark: the day before, same month
        utc_sec += 86400
        day -= 1
    return '{"log":"%s\\n","stream":"stdout","time":"%04d-%02d-%02dT%02d:%02d:%02d.%09dZ"}' % (
        line.translate(DOCKER_ESCAPES), y, mo, day, utc_sec // 3600, (utc_sec // 60) % 60,
        utc_sec % 60, n % 1000000000)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1000000, help="number of lines (default 1000000)")
    ap.add_argument("--seed", type=int, default=1, help="PRNG seed (default 1)")
    ap.add_argument("--rt", action="store_true", help="append nginx $request_time (e.g. 0.123)")
    ap.add_argument("--date", default="2026-10-10", help="day of the log, YYYY-MM-DD (default 2026-10-10)")
    ap.add_argument("--tz", default="+0200", help="UTC offset printed in $time_local (default +0200)")
    ap.add_argument("--host", default="https://www.example.com",
                    help="scheme://host used for same-site referers")
    ap.add_argument("--docker", action="store_true",
                    help="wrap each line as Docker's json-file driver writes it "
                         "({\"log\":\"...\\n\",\"stream\":\"stdout\",\"time\":\"...\"}); "
                         "the same lines, the same PRNG sequence")
    ap.add_argument("-o", "--output", help="write to FILE instead of stdout")
    ap.add_argument("--stats", action="store_true", help="print status counts to stderr at the end")
    a = ap.parse_args(argv)

    if a.lines < 0:
        ap.error("--lines must be >= 0")
    try:
        y, mo, d = (int(x) for x in a.date.split("-"))
        month = MONTHS[mo - 1]
    except (ValueError, IndexError):
        ap.error("--date must be YYYY-MM-DD")
    if len(a.tz) != 5 or a.tz[0] not in "+-" or not a.tz[1:].isdigit():
        ap.error("--tz must look like +0200 or -0500")
    day_prefix = "%02d/%s/%04d:" % (d, month, y)
    tz = a.tz

    g = Gen(a.seed)
    pick, clients, users, agents = g.pick, g.clients, g.users, g.agents
    request, referer, request_time = g.request, g.referer, g.request_time
    host, rt, docker = a.host, a.rt, a.docker
    # Docker's time is UTC: the local clock minus the offset.
    tz_secs = (1 if tz[0] == "+" else -1) * (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60)
    n_line = 0

    out = open(a.output, "wb") if a.output else sys.stdout.buffer
    stats = {}
    chunk = []
    append = chunk.append
    last_sec = -1
    stamp = ""
    # Session stickiness: consecutive requests often come from the same client
    # with the same agent (a page and its assets).
    client = user = agent = None
    try:
        for sec in second_schedule(a.lines):
            if sec != last_sec:
                last_sec = sec
                stamp = "[%s%02d:%02d:%02d %s]" % (day_prefix, sec // 3600,
                                                   (sec // 60) % 60, sec % 60, tz)
            req, status, nbytes, is_static, junk = request()
            if junk:
                c = pick(clients)
                line = '%s - - %s "%s" %d %s "-" "-"' % (c, stamp, req, status, nbytes)
            else:
                if client is None or g.r() < 0.55:
                    client = pick(clients)
                    user = pick(users)
                    agent = pick(agents)
                line = '%s - %s %s "%s" %d %s "%s" "%s"' % (
                    client, user, stamp, req, status, nbytes, referer(host), agent)
            if rt:
                line += " " + request_time(status, is_static)
            if docker:
                line = docker_json(line, y, mo, d, sec - tz_secs, n_line)
            n_line += 1
            append(line)
            if a.stats:
                stats[status] = stats.get(status, 0) + 1
            if len(chunk) >= 20000:
                chunk.append("")
                out.write("\n".join(chunk).encode("ascii"))
                chunk.clear()
        if chunk:
            chunk.append("")
            out.write("\n".join(chunk).encode("ascii"))
        out.flush()
    except BrokenPipeError:
        # e.g. `gen_combined.py | head`; silence the interpreter's complaint.
        try:
            sys.stdout = None
        except Exception:
            pass
        return 0
    finally:
        if a.output:
            out.close()

    if a.stats:
        n = a.lines or 1
        for s in sorted(stats):
            sys.stderr.write("%d\t%d\t%.3f%%\n" % (s, stats[s], 100.0 * stats[s] / n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
