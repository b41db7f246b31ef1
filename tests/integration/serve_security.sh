#!/usr/bin/env bash
# heapscope serve under hostile requests: path traversal (plain, percent-encoded, backslashes,
# absolute), NUL, very long URLs and query strings, bad and oversized parameters, unknown
# routes, other methods, foreign Host names and Origins. Each gets its 4xx and never a file from outside
# the embedded table; the server stays up throughout.
. "$(dirname "$0")/../lib.sh"

SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT

"$HS" record -o "$T/leaks3.db" -- "$PROGS/leaks3" >/dev/null 2>"$T/rec.err"
expect_eq "recorded leaks3" "$(q "$T/leaks3.db" 'SELECT count(*) FROM allocations')" 82
"$HS" serve -d "$T/leaks3.db" --port 0 >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
wait_for "serve prints its URL" 10 grep -q '^http://127.0.0.1:' "$T/serve.out" || { finish; exit 1; }
URL=$(head -1 "$T/serve.out")
URL=${URL%/}
echo "# serving at $URL/"

# req NAME EXPECTED_STATUS [CURL ARGS...] PATH: raw path (--path-as-is), bounded in time; the
# body must never hold a line of /etc/passwd, and errors must be JSON.
req() {
	local name=$1 want=$2 code
	shift 2
	code=$(curl -s --path-as-is --max-time 10 -o "$T/body" -w '%{http_code}' "${@:1:$#-1}" "$URL${!#}")
	expect_eq "$name: status" "$code" "$want"
	if grep -q 'root:x:0:0' "$T/body"; then not_ok "$name: served /etc/passwd"; else ok "$name: no /etc/passwd"; fi
	if [ "$want" -ge 400 ] && [ "$want" != 414 ] && [ -s "$T/body" ]; then
		expect_eq "$name: JSON error" "$(jq -r 'has("error")' "$T/body" 2>&1)" true
	fi
}

# --- Traversal: never anything but the embedded table.
req "dotdot" 400 '/assets/../../etc/passwd'
req "dotdot from root" 400 '/../../../../etc/passwd'
req "encoded dots" 400 '/assets/%2e%2e/%2e%2e/etc/passwd'
req "encoded dots, upper case" 400 '/assets/%2E%2E/%2E%2E/etc/passwd'
req "encoded slashes" 400 '/assets/..%2f..%2fetc%2fpasswd'
req "encoded slash alone" 400 '/assets/vendor%2Fx.js'
req "double-encoded" 404 '/assets/%252e%252e/%252e%252e/etc/passwd'
req "absolute path" 400 '//etc/passwd'
req "absolute under assets" 400 '/assets//etc/passwd'
req "backslashes" 400 '/assets/..\..\etc\passwd'
req "encoded backslashes" 400 '/assets/..%5c..%5cetc%5cpasswd'
req "NUL" 400 '/assets/index.html%00.png'
req "NUL in a parameter" 400 '/api/sites?function=a%00b'
req "no such asset" 404 '/assets/etc/passwd'
req "asset by file system name" 404 '/assets/web/index.html'
req "dot segment" 404 '/assets/./index.html'
req "assets directory" 404 '/assets/'
req "proc" 404 '/proc/self/environ'
# The default bind is tested in serve_api.sh; here only loopback is ever contacted.

# --- Long URLs.
long=$(head -c 10240 /dev/zero | tr '\0' a)
req "10 KB path" 414 "/assets/$long"
req "10 KB query" 414 "/api/sites?function=$long"
huge=$(head -c 102400 /dev/zero | tr '\0' a)
req "100 KB query string" 414 "/api/sites?file=$huge"
req "4000-byte URL is still answered" 400 "/api/sites?file=$(head -c 3900 /dev/zero | tr '\0' a)"

# --- Bad parameters: 400 with a one-line message.
for p in 'limit=-1' 'limit=abc' 'limit=99999999999999999999' 'limit=0' 'limit=10001' 'limit=1e3' \
	'limit=%201' 'limit=' 'limit' 'offset=-5' 'sort=nonsense' 'sort=bytes;DROP' 'group=all' \
	'order=up' 'bogus=1' 'limit=1&limit=2' \
	"function=$(head -c 257 /dev/zero | tr '\0' a)"; do
	req "sites?${p:0:40}" 400 "/api/sites?$p"
	expect_eq "sites?${p:0:40}: one-line message" "$(jq -r .error "$T/body" | wc -l)" 1
done
req "site id=1;DROP TABLE x" 400 '/api/site?id=1;DROP%20TABLE%20x'
req "site id=1 OR 1=1" 400 "/api/site?id=1%20OR%201=1"
req "site without id" 400 '/api/site'
req "site id=0" 400 '/api/site?id=0'
req "site id out of range" 400 '/api/site?id=9223372036854775808'
req "site id=999999 (none)" 404 '/api/site?id=999999'
req "leaks min_age=-1" 400 '/api/leaks?min_age=-1'
req "leaks min_age=nan" 400 '/api/leaks?min_age=nan'
req "leaks limit=100000" 400 '/api/leaks?limit=100000'
req "site timeline resolution=1 (too many points)" 400 '/api/timeline?site=1&resolution=1'
req "timeline resolution=1 is raised to the 100 ms samples" 200 '/api/timeline?resolution=1'
req "timeline from=-1" 400 '/api/timeline?from=-1'
req "lifetimes site=x" 400 '/api/lifetimes?site=x'
req "flame weight=x" 400 '/api/flame?weight=x'
req "17 parameters" 400 "/api/summary?$(for i in $(seq 17); do printf 'a%d=1&' "$i"; done)"
req "summary takes no parameters" 400 '/api/summary?x=1'
req "string parameter with quotes is only data" 200 "/api/sites?function=%27%22%3B--"
expect_eq "quotes: no site matches" "$(jq .total "$T/body")" 0

# --- Unknown routes and methods.
req "unknown route" 404 '/nope'
req "unknown API route" 404 '/api/nope'
req "API prefix only" 404 '/api/'
req "API route with a trailing slash" 404 '/api/summary/'
req "POST" 405 -X POST -d 'x=1' '/api/summary'
req "POST to an asset" 405 -X POST '/'
req "PUT" 405 -X PUT -d 'x' '/assets/app.js'
req "DELETE" 405 -X DELETE '/api/sites'
req "OPTIONS" 405 -X OPTIONS '/api/summary'
code=$(curl -s --max-time 10 -o /dev/null -D "$T/h" -X POST "$URL/api/summary" -w '%{http_code}')
expect_eq "405 says Allow: GET, HEAD" "$(grep -i '^allow:' "$T/h" | tr -d '\r')" "Allow: GET, HEAD"
code=$(curl -s --max-time 10 -I -o "$T/h" -w '%{http_code}' "$URL/api/summary")
expect_eq "HEAD is allowed like GET" "$code" 200
code=$(curl -s --max-time 10 -I -o "$T/h" -w '%{http_code}' "$URL/nope")
expect_eq "HEAD of an unknown route is 404" "$code" 404

# --- DNS rebinding: a loopback server answers only loopback Host names (any port: an ssh
# tunnel forwards another); other sites' pages (Origin) are refused. More in serve_exposure.sh.
for h in localhost 127.0.0.1 "[::1]"; do
	code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H "Host: $h:1234" "$URL/api/summary")
	expect_eq "Host $h accepted" "$code" 200
done
for h in evil.example 127.0.0.1.evil.example localhost.evil.example "[::1].evil.example" "::1" \
	"127.0.0.1:80:80" "[::1"; do
	code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H "Host: $h" "$URL/api/summary")
	expect_eq "Host $h refused" "$code" 403
done
req "Origin of another site" 403 -H 'Origin: http://evil.example' '/api/summary'
req "Origin of another site, POST" 403 -H 'Origin: http://evil.example' -X POST -d 'x=1' '/api/summary'

# --- Still serving after all of it.
code=$(curl -s --max-time 10 -o "$T/body" -w '%{http_code}' "$URL/api/summary")
expect_eq "still serving" "$code" 200
expect_eq "still serving: the summary" "$(jq .allocs "$T/body")" 82
expect_eq "still running" "$(kill -0 "$SPID" && echo yes)" yes

finish
