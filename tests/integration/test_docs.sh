# The Kubernetes docs' task pages, end to end through `berth run`: their
# manifests (tests/fixtures/docs, or the page's inline YAML) and the output
# the pages document, read from the containers' CRI logs.
#
# Adaptations, each said where it is made: the docs' images are the local
# test images imported under the docs' names; where a page runs a command
# with `kubectl exec` (berth has no exec), that command becomes the
# container's command and the pod runs once (restartPolicy Never); pods
# that share a name on the docs pages are renamed to run in one file.
# Sourced by tests/integration/run; see lib.sh.

DOCS=$BERTH_SRCDIR/tests/fixtures/docs

# docs_env REF=IMAGE...: a store with the test images imported as the docs'
# names, a cgroup root of this test's own.
docs_env() {
	need_berth
	need_cgroup2
	DOCS_CGROOT=$(make_cgroup berth)
	local pair
	for pair in "$@"; do
		"$BERTH_BIN" image --root "$TEST_TMP/state" import "${pair%%=*}" \
			"$(test_image "${pair#*=}")" >/dev/null
	done
	defer rm -rf --one-file-system "$TEST_TMP/run"
}

# drun ARGS...: berth run with this test's dirs, without CNI.
drun() {
	"$BERTH_BIN" run --root "$TEST_TMP/state" --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$DOCS_CGROOT" --no-cni "$@"
}

# docs_log POD CONTAINER [N]: the text of the container's log N (default
# 0), the CRI prefix removed, as kubectl logs shows it.
docs_log() {
	sed -E 's/^[^ ]+ (stdout|stderr) [FP] //' \
		"$TEST_TMP"/logs/default_"$1"_*/"$2"/"${3:-0}".log
}

# docs_adapt FILE [COMMAND [NAME]]: the docs' manifest FILE, run once
# (restartPolicy Never), with COMMAND (a YAML flow list: what the page runs
# with kubectl exec) as its container's command, renamed to NAME.
docs_adapt() {
	DOCS_CMD=${2:-} DOCS_NAME=${3:-} awk '
		BEGIN { cmd = ENVIRON["DOCS_CMD"]; name = ENVIRON["DOCS_NAME"] }
		/^  name: / && name != "" && !renamed { print "  name: " name; renamed = 1; next }
		{ print }
		/^spec:$/ { print "  restartPolicy: Never" }
		/^    image: / && cmd != "" { print "    command: " cmd }
	' "$DOCS/$1"
	echo ---
}

# Define Environment Variables for a Container: envars.yaml, and the
# print-greeting example of "Using environment variables inside of your
# config".
register_test docs_envars
test_docs_envars() {
	docs_env gcr.io/google-samples/hello-app:2.0=busybox bash=busybox
	local out log
	# `kubectl exec envar-demo -- printenv`
	docs_adapt pods-inject-envars.yaml '["printenv"]' >pods.yaml
	cat >>pods.yaml <<-'YAML'
		apiVersion: v1
		kind: Pod
		metadata:
		  name: print-greeting
		spec:
		  restartPolicy: Never
		  containers:
		  - name: env-print-demo
		    image: bash
		    env:
		    - name: GREETING
		      value: "Warm greetings to"
		    - name: HONORIFIC
		      value: "The Most Honorable"
		    - name: NAME
		      value: "Kubernetes"
		    - name: MESSAGE
		      value: "$(GREETING) $(HONORIFIC) $(NAME)"
		    command: ["echo"]
		    args: ["$(MESSAGE)"]
	YAML
	out=$(drun -f pods.yaml --timeout 90s 2>&1) || fail "berth run: $out"
	log=$(docs_log envar-demo envar-demo-container)
	assert_contains "$log" $'\nDEMO_GREETING=Hello from the environment\n' "DEMO_GREETING"
	assert_contains "$log" "DEMO_FAREWELL=Such a sweet sorrow" "DEMO_FAREWELL"
	assert_contains "$log" "HOSTNAME=envar-demo" "HOSTNAME"
	assert_eq "Warm greetings to The Most Honorable Kubernetes" \
		"$(docs_log print-greeting env-print-demo)" "echo \$(MESSAGE)"
}

# Define a Command and Arguments for a Container: commands.yaml, "Use
# environment variables to define arguments", and the table of command and
# args against the image's Entrypoint and Cmd (the entrypoint test image:
# Entrypoint [/ep-1], Cmd [foo bar]).
register_test docs_command_args
test_docs_command_args() {
	docs_env debian=busybox ep=entrypoint busybox=busybox
	local out
	# restartPolicy Never instead of OnFailure: printenv fails, as there is
	# no KUBERNETES_PORT without the API server's Service
	sed 's/restartPolicy: OnFailure/restartPolicy: Never/' "$DOCS/pods-commands.yaml" >pods.yaml
	cat >>pods.yaml <<-'YAML'
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: message}
		spec:
		  restartPolicy: Never
		  containers:
		  - name: c
		    image: busybox
		    env:
		    - name: MESSAGE
		      value: "hello world"
		    command: ["/bin/echo"]
		    args: ["$(MESSAGE)"]
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: table}
		spec:
		  restartPolicy: Never
		  containers:
		  - {name: none, image: ep}
		  - {name: command, image: ep, command: ["/ep-2"]}
		  - {name: args, image: ep, args: ["zoo", "boo"]}
		  - {name: both, image: ep, command: ["/ep-2"], args: ["zoo", "boo"]}
	YAML
	out=$(drun -f pods.yaml --timeout 90s 2>&1) || true
	assert_contains "$out" "pod/default/message: Succeeded" "message pod"
	assert_contains "$out" "pod/default/table: Succeeded" "table pod"
	assert_eq "command-demo" "$(docs_log command-demo command-demo-container)" \
		"printenv HOSTNAME KUBERNETES_PORT"
	assert_eq "hello world" "$(docs_log message c)" "args from \$(MESSAGE)"
	assert_eq "ep-1 foo bar" "$(docs_log table none)" "Entrypoint and Cmd"
	assert_eq "ep-2" "$(docs_log table command)" "command only"
	assert_eq "ep-1 zoo boo" "$(docs_log table args)" "args only"
	assert_eq "ep-2 zoo boo" "$(docs_log table both)" "command and args"
}

# Define Dependent Environment Variables: the manifest as the page has it
# now (printf lines; the fixture holds an older version of it).
register_test docs_dependent_envars
test_docs_dependent_envars() {
	docs_env busybox:1.28=busybox
	cat >pod.yaml <<-'YAML'
		apiVersion: v1
		kind: Pod
		metadata:
		  name: dependent-envars-demo
		spec:
		  containers:
		    - name: dependent-envars-demo
		      args:
		        - while true; do echo -en '\n'; printf UNCHANGED_REFERENCE=$UNCHANGED_REFERENCE'\n'; printf SERVICE_ADDRESS=$SERVICE_ADDRESS'\n';printf ESCAPED_REFERENCE=$ESCAPED_REFERENCE'\n'; sleep 30; done;
		      command:
		        - sh
		        - -c
		      image: busybox:1.28
		      env:
		        - name: SERVICE_PORT
		          value: "80"
		        - name: SERVICE_IP
		          value: "172.17.0.1"
		        - name: UNCHANGED_REFERENCE
		          value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"
		        - name: PROTOCOL
		          value: "https"
		        - name: SERVICE_ADDRESS
		          value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"
		        - name: ESCAPED_REFERENCE
		          value: "$$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"
	YAML
	# it loops until stopped: SIGTERM, which sh as PID 1 ignores, then
	# SIGKILL after the 30 s grace period
	drun -f pod.yaml --timeout 15s >run.log 2>&1 || true
	assert_contains "$(cat run.log)" "dependent-envars-demo: Running" "it runs"
	# kubectl logs pod/dependent-envars-demo: the loop's first round
	assert_eq $'\nUNCHANGED_REFERENCE=$(PROTOCOL)://172.17.0.1:80\nSERVICE_ADDRESS=https://172.17.0.1:80\nESCAPED_REFERENCE=$(PROTOCOL)://172.17.0.1:80' \
		"$(docs_log dependent-envars-demo dependent-envars-demo | head -n 4)" "the documented output"
}

# Configure a Pod to Use a ConfigMap: its keys as environment variables
# (valueFrom, envFrom, in the command line) and as a volume.
register_test docs_configmap_env
test_docs_configmap_env() {
	docs_env registry.k8s.io/busybox:1.27.2=busybox registry.k8s.io/busybox=busybox
	local out
	{
		cat "$DOCS/configmap-configmap-multikeys.yaml"
		echo ---
		sed 's/name: dapi-test-pod/name: cm-envfrom/' "$DOCS/pods-pod-configmap-envFrom.yaml"
		echo ---
		sed 's/name: dapi-test-pod/name: cm-command/' "$DOCS/pods-pod-configmap-env-var-valueFrom.yaml"
	} >multikeys.yaml
	out=$(drun -f multikeys.yaml --timeout 90s 2>&1) || fail "berth run: $out"
	assert_contains "$(docs_log cm-envfrom test-container)" $'SPECIAL_LEVEL=very\n' "envFrom SPECIAL_LEVEL"
	assert_contains "$(docs_log cm-envfrom test-container)" "SPECIAL_TYPE=charm" "envFrom SPECIAL_TYPE"
	assert_eq "very charm" "$(docs_log cm-command test-container)" "\$(SPECIAL_LEVEL_KEY) \$(SPECIAL_TYPE_KEY)"
	# configmaps.yaml defines another special-config: a run of its own
	{
		cat "$DOCS/configmap-configmaps.yaml"
		echo ---
		sed 's/name: dapi-test-pod/name: cm-two/' "$DOCS/pods-pod-multiple-configmap-env-variable.yaml"
	} >two.yaml
	out=$(drun -f two.yaml --timeout 90s 2>&1) || fail "berth run: $out"
	assert_contains "$(docs_log cm-two test-container)" $'SPECIAL_LEVEL_KEY=very\n' "from special-config"
	assert_contains "$(docs_log cm-two test-container)" "LOG_LEVEL=INFO" "from env-config"
}

register_test docs_configmap_volume
test_docs_configmap_volume() {
	docs_env registry.k8s.io/busybox:1.27.2=busybox
	local out
	{
		cat "$DOCS/configmap-configmap-multikeys.yaml"
		echo ---
		sed 's/name: dapi-test-pod/name: cm-volume/' "$DOCS/pods-pod-configmap-volume.yaml"
		echo ---
		sed 's/name: dapi-test-pod/name: cm-key/' "$DOCS/pods-pod-configmap-volume-specific-key.yaml"
		echo ---
		# the files' contents and modes, in the docs' pod-configmap-volume
		sed -e 's/name: dapi-test-pod/name: cm-files/' \
			-e 's|- ls /etc/config/|- cd /etc/config; for f in *; do echo "$f=$(cat $f) $(stat -L -c %a $f)"; done; touch x \|\| echo read-only|' \
			"$DOCS/pods-pod-configmap-volume.yaml"
	} >pods.yaml
	out=$(drun -f pods.yaml --timeout 90s 2>&1) || fail "berth run: $out"
	assert_eq $'SPECIAL_LEVEL\nSPECIAL_TYPE' "$(docs_log cm-volume test-container)" "ls /etc/config/"
	assert_eq "very" "$(docs_log cm-key test-container)" "cat /etc/config/keys"
	assert_contains "$(docs_log cm-files test-container)" $'SPECIAL_LEVEL=very 644\nSPECIAL_TYPE=charm 644' "contents, mode 0644"
	assert_contains "$(docs_log cm-files test-container)" "read-only" "a configMap volume is read-only"
}

# Distribute Credentials Securely Using Secrets: secret.yaml as a volume
# (on tmpfs) and as environment variables (secretKeyRef, envFrom).
# docs_stop_run PID: SIGTERM (a background job ignores SIGINT) to a berth
# run, then wait for its teardown.
docs_stop_run() {
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for i in $(seq 300); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
}

register_test docs_secret
test_docs_secret() {
	docs_env nginx=busybox
	local log pid i
	# each pod stays up (sleep 60) while the test looks at the state on disk
	{
		cat "$DOCS/pods-inject-secret.yaml"
		echo ---
		# kubectl exec -i -t secret-test-pod -- /bin/bash; ls /etc/secret-volume;
		# echo "$( cat username )"; echo "$( cat password )"; and the mount
		docs_adapt pods-inject-secret-pod.yaml \
			"[\"sh\", \"-c\", \"cd /etc/secret-volume; ls; cat username; echo; cat password; echo; grep ' /etc/secret-volume ' /proc/self/mountinfo; sleep 60\"]"
		# kubectl exec -i -t secret-envars-test-pod -- /bin/sh -c 'echo $SECRET_USERNAME' (and PASSWORD)
		docs_adapt pods-inject-secret-envars-pod.yaml \
			'["sh", "-c", "echo $SECRET_USERNAME; echo $SECRET_PASSWORD; sleep 60"]'
		# kubectl exec -i -t envfrom-secret -- /bin/sh -c 'echo "username: $username\npassword: $password\n"'
		docs_adapt pods-inject-pod-secret-envFrom.yaml \
			'["sh", "-c", "echo \"username: $username\"; echo \"password: $password\"; sleep 60"]'
	} >pods.yaml
	drun -f pods.yaml --timeout 90s >run.out 2>&1 &
	pid=$!
	defer docs_stop_run "$pid"
	for i in $(seq 300); do
		[ "$(find "$TEST_TMP/logs" -name 0.log -size +0 2>/dev/null | wc -l)" -ge 3 ] && break
		sleep 0.2
	done
	log=$(docs_log secret-test-pod test-container)
	assert_contains "$log" $'password\nusername\nmy-app\n39528$vdg7Jb\n' "ls and the files"
	assert_match ' /etc/secret-volume ro[, ]([^ ]* )*- tmpfs ' "$log" "the secret volume: read-only, on tmpfs"
	assert_eq $'my-app\n39528$vdg7Jb' "$(docs_log secret-envars-test-pod envars-test-container)" "secretKeyRef"
	assert_eq $'username: my-app\npassword: 39528$vdg7Jb' "$(docs_log envfrom-secret envars-test-container)" "envFrom secretRef"
	# no running pod's state on disk has a copy of the secret: neither the
	# volume pod's files nor the env pods' process records (an exec takes
	# the env from the container's init)
	[ "$(find "$TEST_TMP/state/pods" -name runner.json | wc -l)" -ge 3 ] ||
		fail "the pods' state dirs (runner.json): $(find "$TEST_TMP/state/pods" | head -20)"
	# (-xdev: the secret volume itself is a tmpfs mount, as the kubelet's)
	assert_eq "" "$(find "$TEST_TMP/state/pods" -xdev -type f -exec grep -l 'vdg7Jb' {} + || true)" \
		"a copy of the secret on disk"
}

# Communicate Between Containers in the Same Pod Using a Shared Volume:
# two-container-pod.yaml; `curl localhost` from the nginx container becomes
# busybox httpd serving the shared dir and wget once the page is there.
register_test docs_shared_volume
test_docs_shared_volume() {
	docs_env nginx=busybox debian=busybox
	local out
	awk '{ print } /^    image: nginx$/ {
		print "    command: [\"sh\", \"-c\", \"httpd -p 80 -h /usr/share/nginx/html; for i in $(seq 300); do [ -s /usr/share/nginx/html/index.html ] && exec wget -qO- http://localhost/; sleep 0.1; done; exit 1\"]" }' \
		"$DOCS/pods-two-container-pod.yaml" >pod.yaml
	out=$(drun -f pod.yaml --timeout 90s 2>&1) || fail "berth run: $out"
	assert_eq "Hello from the debian container" "$(docs_log two-containers nginx-container)" "curl localhost"
	assert_contains "$out" "two-containers/debian-container: Terminated (Completed, exit code 0)" "writer"
	assert_contains "$out" "pod/default/two-containers: Succeeded" "phase"
}

# Determine the Reason for Pod Failure: termination.yaml ("Sleep expired"
# in /dev/termination-log), a custom terminationMessagePath, and
# FallbackToLogsOnError, in berth run's report.
# Expose Pod Information to Containers Through Environment Variables:
# dapi-envars-pod.yaml (fieldRef: spec.nodeName, metadata.name and
# .namespace, status.podIP, spec.serviceAccountName: "default", which the
# API server's ServiceAccount admission sets) and dapi-envars-container.yaml
# (resourceFieldRef).  Their containers print every 10 s until the run's
# timeout stops them; the first block is checked.  Without CNI the pod has
# no IP, so MY_POD_IP prints an empty line.
register_test docs_dapi_envars
test_docs_dapi_envars() {
	docs_env registry.k8s.io/busybox:1.27.2=busybox
	local node
	node=$(hostname | tr 'A-Z' 'a-z')
	{ cat "$DOCS/pods-inject-dapi-envars-pod.yaml"; echo ---
	  cat "$DOCS/pods-inject-dapi-envars-container.yaml"; } >pods.yaml
	drun -f pods.yaml --timeout 25s >out.txt 2>&1 || true
	assert_eq "|$node|dapi-envars-fieldref|default||default" \
		"$(docs_log dapi-envars-fieldref test-container | head -6 | paste -sd '|')" \
		"printenv MY_NODE_NAME MY_POD_NAME MY_POD_NAMESPACE; printenv MY_POD_IP MY_POD_SERVICE_ACCOUNT"
	assert_eq "|1|1|33554432|67108864" \
		"$(docs_log dapi-envars-resourcefieldref test-container | head -5 | paste -sd '|')" \
		"printenv MY_CPU_REQUEST MY_CPU_LIMIT; printenv MY_MEM_REQUEST MY_MEM_LIMIT"
}

# Projected Volumes: projected-service-account-token.yaml.  The token is
# the node's own (no API server here; runtime/sa_token.h): a JWS with the
# bound token's claims for audience "api", 3600 s.  `cat` of the token
# instead of sleep, run once.
register_test docs_projected_sa_token
test_docs_projected_sa_token() {
	docs_env busybox:1.28=busybox
	local out tok claims
	sed -e 's/^    - sleep$/    - cat/' -e 's|^    - "3600"$|    - /service-account/token|' \
		-e 's/^spec:$/spec:\n  restartPolicy: Never/' \
		"$DOCS/pods-storage-projected-service-account-token.yaml" >pod.yaml
	out=$(drun -f pod.yaml --timeout 90s 2>&1) || fail "berth run: $out"
	tok=$(docs_log sa-token-test container-test)
	assert_match '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$tok"
	claims=$(python3 -c 'import base64, json, sys
h, p = (json.loads(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))) for x in sys.argv[1].split(".")[:2])
print(h["alg"], p["aud"], p["iss"], p["sub"], p["exp"] - p["iat"], p["kubernetes.io"]["pod"]["name"])' "$tok")
	assert_eq "ES256 ['api'] https://kubernetes.default.svc.cluster.local system:serviceaccount:default:default 3600 sa-token-test" \
		"$claims" "the token's header and claims"
}

register_test docs_termination_message
test_docs_termination_message() {
	docs_env debian=busybox
	local out
	cat >fallback.yaml <<-'YAML'
		apiVersion: v1
		kind: Pod
		metadata: {name: fallback}
		spec:
		  restartPolicy: Never
		  containers:
		  - name: c
		    image: debian
		    terminationMessagePolicy: FallbackToLogsOnError
		    command: ["sh", "-c", "echo first line; echo the last words; exit 3"]
		  - name: ok
		    image: debian
		    terminationMessagePolicy: FallbackToLogsOnError
		    command: ["sh", "-c", "echo not a message"]
	YAML
	docs_adapt debug-termination.yaml >pods.yaml
	cat >>pods.yaml <<-'YAML'
		apiVersion: v1
		kind: Pod
		metadata: {name: custom-path}
		spec:
		  restartPolicy: Never
		  containers:
		  - name: c
		    image: debian
		    terminationMessagePath: /tmp/my-message
		    command: ["sh", "-c", "echo -n custom bye > /tmp/my-message; exit 4"]
		---
	YAML
	cat fallback.yaml >>pods.yaml
	drun -f pods.yaml --timeout 90s -o json >report.json 2>run.log || true
	# kubectl get pod termination-demo -o go-template=...{{.lastState.terminated.message}}
	assert_contains "$(cat report.json)" '"message": "Sleep expired\n"' "the docs' message"
	assert_contains "$(cat report.json)" '"message": "custom bye"' "terminationMessagePath"
	assert_contains "$(cat report.json)" '"message": "first line\nthe last words\n"' "FallbackToLogsOnError"
	assert_eq 3 "$(grep -c '"message"' report.json)" "messages (none for an exit 0 without a file)"
	# the text report: the fallback pod again
	out=$(drun -f fallback.yaml --timeout 60s 2>&1) || true
	assert_contains "$out" $'attempt 1: exit code 3, Error\n      message: first line\n               the last words\n' "the text report"
}

_docs_kill() { kill "$1" 2>/dev/null || true; }

# Two pods reach each other by their IPs through berth's default CNI
# network, and the node reaches a pod IP.  The server writes its IP
# (status.podIP from the downward API) to a hostPath dir the client and the
# test read.
register_test --serial docs_pods_by_ip
test_docs_pods_by_ip() {
	need_vm # the berth0 bridge and its rules live in the guest's root netns
	[ -x /usr/lib/cni/bridge ] || skip "no CNI plugins in /usr/lib/cni"
	docs_env busybox=busybox
	local pid ip got rc=0 ips
	mkdir x
	cat >pods.yaml <<-EOF2
		apiVersion: v1
		kind: Pod
		metadata: {name: web}
		spec:
		  restartPolicy: Never
		  volumes: [{name: x, hostPath: {path: $TEST_TMP/x, type: Directory}}]
		  containers:
		  - name: httpd
		    image: busybox
		    env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
		    volumeMounts: [{name: x, mountPath: /x}]
		    command: ["sh", "-c", "mkdir /www; echo hello from \$\$(hostname) at \$POD_IP >/www/index.html; httpd -p 8080 -h /www; echo \$POD_IP >/x/ip.tmp; mv /x/ip.tmp /x/web-ip; for i in \$\$(seq 900); do [ -e /x/client-done ] && [ -e /x/node-done ] && exit 0; sleep 0.1; done; exit 1"]
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: client}
		spec:
		  restartPolicy: Never
		  volumes: [{name: x, hostPath: {path: $TEST_TMP/x, type: Directory}}]
		  containers:
		  - name: wget
		    image: busybox
		    env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
		    volumeMounts: [{name: x, mountPath: /x}]
		    command: ["sh", "-c", "for i in \$\$(seq 900); do [ -e /x/web-ip ] && break; sleep 0.1; done; echo client at \$POD_IP; wget -qO- http://\$\$(cat /x/web-ip):8080/ && touch /x/client-done"]
	EOF2
	ips=$({ find /var/lib/cni/networks/berth -maxdepth 1 -name '10.*' 2>/dev/null || true; } | wc -l)
	"$BERTH_BIN" run --root "$TEST_TMP/state" --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$DOCS_CGROOT" \
		--cni-conf-dir "$TEST_TMP/net.d" -f pods.yaml --timeout 150s >run.log 2>&1 &
	pid=$!
	defer _docs_kill "$pid"
	wait_for 120 test -s x/web-ip
	ip=$(cat x/web-ip)
	assert_match '^10\.88\.[0-9]+\.[0-9]+$' "$ip" "the server's pod IP"
	got=$(busybox wget -qO- "http://$ip:8080/")
	assert_eq "hello from web at $ip" "$got" "the node fetches from the pod IP"
	touch x/node-done
	wait "$pid" || rc=$?
	assert_eq 0 "$rc" "berth run: $(cat run.log)"
	assert_contains "$(docs_log client wget)" "hello from web at $ip" "the client pod fetched from the server's IP"
	assert_match "client at 10\.88\.[0-9]+\.[0-9]+" "$(docs_log client wget)" "the client's own pod IP"
	assert_not_contains "$(docs_log client wget)" "client at $ip"$'\n' "two pod IPs"
	assert_eq "$ips" "$({ find /var/lib/cni/networks/berth -maxdepth 1 -name '10.*' 2>/dev/null || true; } | wc -l)" \
		"IPs allocated after the run"
}
