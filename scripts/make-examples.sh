#!/usr/bin/env bash
# Regenerate the sample logs under examples/ by running REAL servers
# (Debian's nginx and Apache httpd) on 127.0.0.1 with their stock log
# formats, replaying a fixed (deterministic) sequence of curl requests, and
# copying the logs they wrote.
#
#   examples/nginx/access.log   nginx built-in "combined" access log
#   examples/nginx/error.log    nginx error log (level notice)
#   examples/apache/access_log  Apache stock "combined" LogFormat
#   examples/apache/error_log   Apache default ErrorLog format (LogLevel info)
#
# The story in the traffic: normal browsing, then a burst of 404s for assets
# and API paths that do not exist (/static/app.v2.js, /api/v2/cart/items?id=N),
# referenced by stale HTML a cache keeps serving; then traffic goes back to
# normal.
#
# Only the request sequence is deterministic; timestamps, pids and client
# ports naturally differ from run to run.
#
# Usage: scripts/make-examples.sh      (needs root, nginx, apache2, curl)
set -euo pipefail

NGINX=${NGINX:-/usr/sbin/nginx}
APACHE=${APACHE:-/usr/sbin/apache2}
NGINX_PORT=${NGINX_PORT:-18080}
APACHE_PORT=${APACHE_PORT:-18081}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/examples

# A fixed path (not mktemp) so that the docroot paths the servers write into
# their error logs are the same on every run.
WORK=/tmp/ltail-make-examples
DOCROOT=$WORK/www

NGINX_PID=""
APACHE_PID=""

cleanup() {
    local rc=$?
    if [[ -n $NGINX_PID ]] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    if [[ -n $APACHE_PID ]] && kill -0 "$APACHE_PID" 2>/dev/null; then
        kill -TERM "$APACHE_PID" 2>/dev/null || true
        wait "$APACHE_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT INT TERM

die() { echo "make-examples: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (starts nginx and apache2)"
for bin in "$NGINX" "$APACHE" curl ss; do
    command -v "$bin" >/dev/null || die "missing $bin"
done

port_in_use() { ss -Hltn "sport = :$1" | grep -q .; }
wait_for_port() {
    local port=$1 pid=$2 i
    for ((i = 0; i < 100; i++)); do
        port_in_use "$port" && return 0
        kill -0 "$pid" 2>/dev/null || die "server (pid $pid) for port $port died"
        sleep 0.1
    done
    die "nothing listening on port $port"
}
for p in "$NGINX_PORT" "$APACHE_PORT"; do
    port_in_use "$p" && die "port $p already in use"
done

rm -rf "$WORK"
mkdir -p "$WORK"/{nginx,apache} "$DOCROOT"/{static,images,api}
# Apache's children run as www-data and must be able to read the docroot.
chmod 755 "$WORK" "$DOCROOT"

# --- docroot -----------------------------------------------------------------
page() { # page FILE TITLE
    cat >"$DOCROOT/$1" <<EOF
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>$2 - Example Shop</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<img src="/images/logo.png" alt="Example Shop">
<h1>$2</h1>
<p><a href="/">Home</a> | <a href="/products.html">Products</a> | <a href="/about.html">About</a></p>
</body>
</html>
EOF
}
page index.html "Home"
page products.html "Products"
page about.html "About us"
printf 'body { font-family: sans-serif; margin: 2em; }\nh1 { color: #235; }\n' >"$DOCROOT/static/app.css"
printf 'document.addEventListener("DOMContentLoaded", function () {\n  console.log("app ready");\n});\n' >"$DOCROOT/static/app.js"
printf '{"status":"ok"}\n' >"$DOCROOT/api/health"
printf 'User-agent: *\nDisallow: /api/\n' >"$DOCROOT/robots.txt"
# A tiny valid 1x1 PNG.
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82' >"$DOCROOT/images/logo.png"
# Fixed mtimes, so If-Modified-Since below reliably yields 304.
find "$DOCROOT" -type f -exec touch -d '2024-03-01 09:00:00 UTC' {} +
chmod -R a+rX "$DOCROOT"
IMS='Fri, 01 Mar 2024 09:00:00 GMT'

# --- nginx -------------------------------------------------------------------
cat >"$WORK/nginx/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log notice;

events {
    worker_connections 64;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;

    client_body_temp_path $WORK/nginx/client_body;
    proxy_temp_path       $WORK/nginx/proxy;
    fastcgi_temp_path     $WORK/nginx/fastcgi;
    uwsgi_temp_path       $WORK/nginx/uwsgi;
    scgi_temp_path        $WORK/nginx/scgi;

    # Stock built-in "combined" format (not redefined here).
    access_log $WORK/nginx/access.log combined;

    server {
        listen 127.0.0.1:$NGINX_PORT;
        server_name 127.0.0.1;
        root $DOCROOT;
        index index.html;

        location = /api/health {
            default_type application/json;
        }
    }
}
EOF

# --- Apache httpd --------------------------------------------------------------
M=/usr/lib/apache2/modules
cat >"$WORK/apache/httpd.conf" <<EOF
ServerRoot $WORK/apache
DefaultRuntimeDir $WORK/apache
PidFile $WORK/apache/httpd.pid
Mutex file:$WORK/apache default
ScoreBoardFile $WORK/apache/scoreboard

LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule mime_module $M/mod_mime.so
LoadModule dir_module $M/mod_dir.so
# With autoindex loaded but Indexes off, a directory without index.html is a
# 403 logged as AH01276 (as on a stock Debian install).
LoadModule autoindex_module $M/mod_autoindex.so
# mod_log_config, mod_logio and mod_unixd are compiled into Debian's apache2.

User www-data
Group www-data

ServerName 127.0.0.1
Listen 127.0.0.1:$APACHE_PORT

TypesConfig /etc/mime.types

ErrorLog $WORK/apache/error_log
LogLevel info
# Stock "combined" LogFormat, as in Debian's apache2.conf.
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
CustomLog $WORK/apache/access_log combined

DocumentRoot $DOCROOT
<Directory />
    Options None
    AllowOverride None
    Require all denied
</Directory>
<Directory $DOCROOT>
    Options -Indexes
    AllowOverride None
    Require all granted
</Directory>
DirectoryIndex index.html
<Location /api/health>
    ForceType application/json
</Location>
EOF

"$APACHE" -f "$WORK/apache/httpd.conf" -t >/dev/null 2>&1 ||
    { "$APACHE" -f "$WORK/apache/httpd.conf" -t; die "bad apache config"; }
"$NGINX" -t -q -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" ||
    die "bad nginx config"
# The config test above may have written to the nginx error log; start clean.
: >"$WORK/nginx/error.log"

"$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
"$APACHE" -f "$WORK/apache/httpd.conf" -DFOREGROUND &
APACHE_PID=$!
wait_for_port "$NGINX_PORT" "$NGINX_PID"
wait_for_port "$APACHE_PORT" "$APACHE_PID"

# --- traffic -------------------------------------------------------------------
UAS=(
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15'
    'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36'
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0'
)
PROBE_UA='kube-probe/1.29'
BOT_UA='Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'

# req BASE UA REFERER PATH [extra curl args...]   (REFERER "" = none)
req() {
    local base=$1 ua=$2 ref=$3 path=$4
    shift 4
    local args=(-s -o /dev/null --max-time 5 -A "$ua")
    [[ -n $ref ]] && args+=(-e "$ref")
    curl "${args[@]}" "$@" "$base$path" || true
}

# One page view: the HTML, then its assets with the page as referer.
visit() { # visit BASE UA REFERER PATH
    local base=$1 ua=$2 ref=$3 path=$4
    req "$base" "$ua" "$ref" "$path"
    req "$base" "$ua" "$base$path" /static/app.css
    req "$base" "$ua" "$base$path" /static/app.js
    req "$base" "$ua" "$base$path" /images/logo.png
}

# A returning visitor: the browser revalidates cached assets (304).
revisit() { # revisit BASE UA PATH
    local base=$1 ua=$2 path=$3
    req "$base" "$ua" "$base/" "$path"
    req "$base" "$ua" "$base$path" /static/app.css -H "If-Modified-Since: $IMS"
    req "$base" "$ua" "$base$path" /static/app.js -H "If-Modified-Since: $IMS"
    req "$base" "$ua" "$base$path" /images/logo.png -H "If-Modified-Since: $IMS"
}

normal_traffic() { # normal_traffic BASE FIRST LAST
    local base=$1 i ua
    for ((i = $2; i <= $3; i++)); do
        ua=${UAS[i % ${#UAS[@]}]}
        case $((i % 5)) in
            0) visit "$base" "$ua" "https://www.example.com/search?q=example+shop" / ;;
            1) visit "$base" "$ua" "$base/" "/products.html?category=$((i % 4 + 1))&page=$((i % 3 + 1))" ;;
            2) revisit "$base" "$ua" /products.html ;;
            3) visit "$base" "$ua" "$base/products.html" /about.html ;;
            4) visit "$base" "$ua" "" / ;;
        esac
        # The load balancer's health check.
        ((i % 2 == 0)) && req "$base" "$PROBE_UA" "" /api/health
        # Browsers ask for a favicon the site does not have.
        ((i % 9 == 4)) && req "$base" "$ua" "$base/" /favicon.ico
    done
    return 0
}

odd_requests() { # odd_requests BASE
    local base=$1
    req "$base" "$BOT_UA" "" /robots.txt
    req "$base" "$BOT_UA" "" /
    req "$base" "${UAS[0]}" "" / -I                                          # HEAD
    req "$base" "${UAS[2]}" "$base/products.html" /api/health -d 'ping=1'    # POST to a static file
    req "$base" "${UAS[2]}" "$base/products.html" /cart/checkout -d 'item=42&qty=1'  # POST to a missing path
    req "$base" "${UAS[1]}" "" /static                                      # 301, no trailing slash
    req "$base" "${UAS[1]}" "" /images                                      # 301
    req "$base" "${UAS[1]}" "" /static/                                     # 403, no index, listing off
    req "$base" "${UAS[3]}" "$base/" "/products.html?q=caf%C3%A9&sort=price_asc&utm_source=newsletter"
    req "$base" 'Mozilla/5.0 (X11; Linux x86_64) "QuotedAgent" C:\Temp\agent' "" /about.html
    req "$base" 'Mozilla/5.0 (Linux) Navigateur/1.0 Ünïcødé 浏览器' "" /about.html
    req "$base" "" "" /api/health                                          # no User-Agent at all
    req "$base" 'Wget/1.21.3' "" /index.html -0                            # HTTP/1.0
    req "$base" 'python-requests/2.31.0' "" /api/health -0 -I              # HTTP/1.0 HEAD
}

# The incident: a CDN/cache keeps serving an HTML page that references a new
# bundle and API version that were never deployed.
burst_404() { # burst_404 BASE
    local base=$1 id ua
    for ((id = 1; id <= 24; id++)); do
        ua=${UAS[id % ${#UAS[@]}]}
        req "$base" "$ua" "$base/products.html" /static/app.v2.js
        req "$base" "$ua" "$base/products.html" "/api/v2/cart/items?id=$id"
        ((id % 6 == 0)) && req "$base" "$PROBE_UA" "" /api/health
    done
    return 0
}

traffic() { # traffic BASE
    local base=$1
    normal_traffic "$base" 0 19
    odd_requests "$base"
    sleep 1
    burst_404 "$base"
    sleep 1
    normal_traffic "$base" 20 29
}

traffic "http://127.0.0.1:$NGINX_PORT"
traffic "http://127.0.0.1:$APACHE_PORT"

# --- stop servers, copy logs ---------------------------------------------------
kill -QUIT "$NGINX_PID"       # graceful shutdown
wait "$NGINX_PID" || true
NGINX_PID=""
kill -TERM "$APACHE_PID"      # "caught SIGTERM, shutting down"
wait "$APACHE_PID" || true
APACHE_PID=""

mkdir -p "$OUT/nginx" "$OUT/apache"
cp "$WORK/nginx/access.log" "$OUT/nginx/access.log"
cp "$WORK/nginx/error.log" "$OUT/nginx/error.log"
cp "$WORK/apache/access_log" "$OUT/apache/access_log"
cp "$WORK/apache/error_log" "$OUT/apache/error_log"

echo "wrote:"
wc -l "$OUT/nginx/access.log" "$OUT/nginx/error.log" "$OUT/apache/access_log" "$OUT/apache/error_log"
echo "404s per access log (awk '\$9==404' | wc -l):"
for f in "$OUT/nginx/access.log" "$OUT/apache/access_log"; do
    printf '  %-22s %s\n' "${f#"$REPO"/}" "$(awk '$9==404' "$f" | wc -l)"
done
