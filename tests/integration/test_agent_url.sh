# The agent's manifest URL source (issue 6, --manifest-url): a busybox httpd
# on the guest's loopback serves the manifests; the tests check the objects
# the agent keeps from it, its events and its log, through a good response,
# an update, a 404, an HTML page, a server that is down, a body over the
# size limit, and the request headers.  VM only: the traffic stays inside
# the guest.

# The agent helpers (agent_setup, get_field, wait_pods_match, pod_yaml...)
# of test_agent.sh: a test process sources only its own file.
if ! declare -F agent_setup >/dev/null; then
	# shellcheck source=tests/integration/test_agent.sh
	. "${BASH_SOURCE[0]%/*}/test_agent.sh"
fi

# url_setup: this test's port on 127.0.0.1, URL_BASE, and $TEST_TMP/www
# for httpd_start.
url_setup() {
	need_vm
	need_cmd busybox curl
	# a port of this test's own: the tests run in parallel in one guest
	URL_PORT=$((20000 + ${TEST_ID#t} % 40000))
	URL_BASE=http://127.0.0.1:$URL_PORT
	mkdir -p "$TEST_TMP/www"
}

# httpd_start: busybox httpd on URL_BASE serving $TEST_TMP/www, its log
# (each request's path and response status) in $TEST_TMP/httpd.log.
httpd_start() {
	busybox httpd -f -vv -p "127.0.0.1:$URL_PORT" -h "$TEST_TMP/www" \
		>>"$TEST_TMP/httpd.log" 2>&1 &
	echo $! >"$TEST_TMP/httpd.pid"
	defer _url_kill "$TEST_TMP/httpd.pid"
	wait_for 10 curl -s -o /dev/null "$URL_BASE/"
}

httpd_stop() {
	_url_kill "$TEST_TMP/httpd.pid"
	: >"$TEST_TMP/httpd.pid"
}

_url_kill() {
	[ ! -s "$1" ] || kill "$(cat "$1")" 2>/dev/null || true
	[ ! -s "$1" ] || wait "$(cat "$1")" 2>/dev/null || true
}

# serve FILE: standard input becomes www/FILE, replaced at once (a new
# size or mtime: a new ETag).
serve() {
	cat >"$TEST_TMP/www/.$1.new"
	mv "$TEST_TMP/www/.$1.new" "$TEST_TMP/www/$1"
}

# wait_event TEXT: until `berth get events` shows TEXT.
wait_event() {
	local end=$((SECONDS + ${2:-15}))
	until [[ "$("$BERTH_BIN" get events 2>&1)" == *"$1"* ]]; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out waiting for an event with '$1': $("$BERTH_BIN" get events 2>&1)"
		sleep 0.2
	done
}

# wait_log TEXT: until the agent's log has TEXT.
wait_log() {
	local end=$((SECONDS + ${2:-15}))
	until grep -qF -- "$1" "$TEST_TMP/agent.log"; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out waiting for '$1' in the agent log: $(tail -5 "$TEST_TMP/agent.log")"
		sleep 0.2
	done
}

register_test agent_url_update
test_agent_url_update() {
	url_setup
	pod_yaml web busybox | serve pods.yaml
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-url}\ndata: {a: "1"}\n' |
		serve cm.yaml
	httpd_start
	agent_setup --manifest-url "$URL_BASE/pods.yaml" --manifest-url "$URL_BASE/cm.yaml" \
		--http-check-frequency 1s
	wait_pods_match "web-$AGENT_NODE +0/1 +(Pending|ErrImageNeverPull) "
	local y uid1 uid2
	y=$("$BERTH_BIN" get pod "web-$AGENT_NODE" -o yaml)
	assert_contains "$y" "kubernetes.io/config.source: http"
	assert_contains "$y" "nodeName: $AGENT_NODE"
	assert_not_contains "$y" "NoExecute" "an http pod gets no NoExecute toleration"
	uid1=$(get_field pod "web-$AGENT_NODE" uid)
	assert_match '^[0-9a-f]{32}$' "$uid1" "http pod uid (config hash)"
	assert_match "from-url +1 " "$("$BERTH_BIN" get configmaps)"
	# the next polls send If-None-Match: the server answers 304
	wait_for 10 grep -q 'response:304' "$TEST_TMP/httpd.log"
	assert_eq "$uid1" "$(get_field pod "web-$AGENT_NODE" uid)" "uid after a 304"
	# an update of the served file replaces the pod
	pod_yaml web busybox:2 | serve pods.yaml
	wait_for 10 sh -c "\"$BERTH_BIN\" get pod web-$AGENT_NODE -o yaml | grep -q 'image: busybox:2'"
	uid2=$(get_field pod "web-$AGENT_NODE" uid)
	assert_ne "$uid1" "$uid2" "uid after the served pod changed"
	# a PodList replaces the set: web goes, a and b come
	{
		printf 'apiVersion: v1\nkind: PodList\nitems:\n'
		pod_yaml a busybox | sed 's/^/  /; 1s/^  /- /'
		pod_yaml b busybox | sed 's/^/  /; 1s/^  /- /'
	} | serve pods.yaml
	wait_pods_match "b-$AGENT_NODE"
	wait_for 15 sh -c "! \"$BERTH_BIN\" get pods | grep -q web-$AGENT_NODE"
	assert_contains "$(pods_list)" "a-$AGENT_NODE"
	assert_match "from-url +1 " "$("$BERTH_BIN" get configmaps)"
	assert_not_contains "$("$BERTH_BIN" get events)" "FailedToLoad"
}

register_test agent_url_errors
test_agent_url_errors() {
	url_setup
	pod_yaml web busybox | serve pods.yaml
	httpd_start
	agent_setup --manifest-url "$URL_BASE/pods.yaml" --http-check-frequency 1s
	wait_pods_match "web-$AGENT_NODE"
	local uid
	uid=$(get_field pod "web-$AGENT_NODE" uid)
	# 404: the pod stays, an event names the URL and the status
	rm "$TEST_TMP/www/pods.yaml"
	wait_event "$URL_BASE/pods.yaml: 404 Not Found"
	assert_match "FailedToLoad +node/$AGENT_NODE" "$("$BERTH_BIN" get events)"
	wait_log "failed to read pods from URL: $URL_BASE/pods.yaml: 404 Not Found"
	assert_eq "$uid" "$(get_field pod "web-$AGENT_NODE" uid)" "uid after a 404"
	# an HTML page: an error event, the pod stays
	printf '<!DOCTYPE html>\n<html><head><title>Welcome</title></head>\n<body><h1>It works</h1></body></html>\n' |
		serve pods.yaml
	wait_event "$URL_BASE/pods.yaml: expected an object, got a string"
	assert_eq "$uid" "$(get_field pod "web-$AGENT_NODE" uid)" "uid after an HTML body"
	# the server down: an event, the pod stays
	httpd_stop
	wait_event "$URL_BASE/pods.yaml: Couldn't connect to server"
	assert_eq "$uid" "$(get_field pod "web-$AGENT_NODE" uid)" "uid with the server down"
	# three failures logged, then quiet until it works again
	wait_log "not logged again until it succeeds"
	# a body of 10 MiB is over the kubelet's limit
	head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' '#' | serve pods.yaml
	httpd_start
	wait_event "$URL_BASE/pods.yaml: the response reached the limit of 10485760 bytes" 30
	assert_eq "$uid" "$(get_field pod "web-$AGENT_NODE" uid)" "uid after a body over the limit"
	# a good body again replaces the set
	pod_yaml web2 busybox | serve pods.yaml
	wait_pods_match "web2-$AGENT_NODE"
	wait_for 15 sh -c "! \"$BERTH_BIN\" get pods | grep -q 'web-$AGENT_NODE '"
	wait_log "$URL_BASE/pods.yaml: read pods from the URL again"
	kill -0 "$(cat "$TEST_TMP/agent.pid")" || fail "the agent died"
}

# The configured headers, as the server receives them (a Python server:
# busybox's CGI keeps only the last of two headers of the same name).
register_test agent_url_headers
test_agent_url_headers() {
	url_setup
	need_cmd python3
	cat >server.py <<-'EOF'
	import http.server, sys
	port, log = int(sys.argv[1]), sys.argv[2]
	body = b"apiVersion: v1\nkind: Pod\nmetadata: {name: hdr}\nspec:\n  containers: [{name: c, image: busybox}]\n"
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        with open(log, "a") as f:
	            f.write(str(self.headers))
	        self.send_response(200)
	        self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	    def log_message(self, *args):
	        pass
	http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
	EOF
	python3 server.py "$URL_PORT" "$TEST_TMP/headers.log" 2>"$TEST_TMP/server.err" &
	echo $! >"$TEST_TMP/server.pid"
	defer _url_kill "$TEST_TMP/server.pid"
	# Python starts slowly under emulation
	if ! (wait_for 60 curl -s -o /dev/null "$URL_BASE/"); then
		fail "the test server did not start: $(cat "$TEST_TMP/server.err")"
	fi
	: >"$TEST_TMP/headers.log"
	agent_setup --manifest-url "$URL_BASE/pods" \
		--manifest-url-header 'X-Berth-Token:abc, X-Berth-Node : node1' \
		--manifest-url-header 'X-Berth-Token:def'
	wait_pods_match "hdr-$AGENT_NODE"
	local h
	h=$(tr -d '\r' <"$TEST_TMP/headers.log")
	# a name given twice is sent twice, in the order given
	assert_contains "$h" $'X-Berth-Token: abc\nX-Berth-Node: node1\nX-Berth-Token: def'
	assert_contains "$h" "User-Agent: berth/"
}

# https: --manifest-url-cacert, a certificate the agent cannot verify, and
# --manifest-url-insecure-skip-tls-verify, against openssl s_server.
register_test agent_url_tls
test_agent_url_tls() {
	url_setup
	need_cmd openssl
	local url=https://127.0.0.1:$URL_PORT/pods.yaml ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 1 -subj /CN=berth-test-ca 2>/dev/null
	openssl req "${ec[@]}" -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext
	openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
		-extfile srv.ext -out srv.crt 2>/dev/null
	(cd www && exec openssl s_server -quiet -accept "127.0.0.1:$URL_PORT" \
		-cert ../srv.crt -key ../srv.key -WWW) >s_server.log 2>&1 &
	echo $! >"$TEST_TMP/server.pid"
	defer _url_kill "$TEST_TMP/server.pid"
	pod_yaml tls busybox | serve pods.yaml
	wait_for 30 curl -s --cacert ca.crt -o /dev/null "$url"
	# verified with the given CA
	agent_setup --manifest-url "$url" --manifest-url-cacert "$TEST_TMP/ca.crt" \
		--http-check-frequency 1s
	wait_pods_match "tls-$AGENT_NODE"
	# with the system's CAs: a TLS error, the pod stays
	stop_agent
	AGENT_FLAGS=(--manifest-url "$url" --http-check-frequency 1s)
	start_agent
	wait_event "$url: SSL certificate problem: unable to get local issuer certificate"
	assert_contains "$(pods_list)" "tls-$AGENT_NODE"
	# not verified at all: the new content comes
	stop_agent
	pod_yaml tls2 busybox | serve pods.yaml
	AGENT_FLAGS=(--manifest-url "$url" --http-check-frequency 1s
		--manifest-url-insecure-skip-tls-verify)
	start_agent
	wait_pods_match "tls2-$AGENT_NODE"
	wait_for 15 sh -c "! \"$BERTH_BIN\" get pods | grep -q 'tls-$AGENT_NODE '"
}

register_test agent_url_flags
test_agent_url_flags() {
	need_berth
	local out rc=0
	out=$("$BERTH_BIN" agent --manifest-url ftp://example/pods 2>&1) || rc=$?
	assert_eq 2 "$rc" "exit status of a bad URL"
	assert_contains "$out" "--manifest-url ftp://example/pods: not an http:// or https:// URL"
	rc=0
	out=$("$BERTH_BIN" agent --manifest-url-header 'a:1,novalue' 2>&1) || rc=$?
	assert_eq 2 "$rc" "exit status of a bad header"
	assert_contains "$out" "a:1,novalue: malformed pair, expect string:string"
	rc=0
	out=$("$BERTH_BIN" agent --http-check-frequency 0s 2>&1) || rc=$?
	assert_eq 2 "$rc" "exit status of a zero frequency"
	# --help documents every option the agent takes
	out=$("$BERTH_BIN" agent --help)
	local opt n=0
	for opt in $(sed -n 's/^ *{ "\([a-z-]*\)", [a-z_]*_argument.*/\1/p' "$BERTH_SRCDIR/cli/cmd_agent.c"); do
		assert_match "(^|[[:space:]])--$opt([[:space:]=]|$)" "$out" "--$opt in berth agent --help"
		n=$((n + 1))
	done
	assert_gt "$n" 20 "options found in cli/cmd_agent.c"
}
