# Image store tests: berth image import|ls|rm|inspect with the test images
# (tests/images/build-image) as OCI layouts, OCI archives and docker save
# archives; whiteouts through a real overlay mount; GC; tampered blobs.
# Sourced by tests/integration/run; see lib.sh.

# bimg ARGS...: berth image with this test's own store.
bimg() { "$BERTH_BIN" image --root "$TEST_TMP/state" "$@"; }

# layer_dirs REF: the image's layer directories, bottom first, one a line.
layer_dirs() {
	bimg inspect "$1" | sed -n 's/^ *"\(\/[^"]*\/layers\/[0-9a-f]\{64\}\)",\{0,1\}$/\1/p'
}

# image_id REF: the IMAGE ID column of `image ls` for REF.
image_id() {
	bimg ls | awk -v r="$1" '$1 == r { print $2 }'
}

count() { # DIR: entries in DIR
	local f n=0
	for f in "$1"/*; do [ -e "$f" ] && n=$((n + 1)); done
	echo "$n"
}

register_test image_import_layout
test_image_import_layout() {
	need_berth
	local img out ino1 ino2 layers
	img=$(test_image busybox)
	assert_ok bimg import busybox "$img"
	out=$(bimg ls)
	assert_contains "$out" "REF" "image ls header"
	assert_match $'\n''docker\.io/library/busybox:latest +[0-9a-f]{13} +[0-9.]+[kM]B' "$out" "image ls"
	mapfile -t layers < <(layer_dirs busybox)
	assert_eq 1 "${#layers[@]}" "layers of busybox"
	assert_eq ok "$(chroot "${layers[0]}" /bin/sh -c 'echo ok')" "sh in the unpacked layer"
	assert_contains "$(bimg inspect docker.io/library/busybox:latest)" '"Cmd": [' "inspect"
	# a second import is a no-op for the layers
	ino1=$(stat -c %i "${layers[0]}")
	assert_ok bimg import busybox:latest "$img"
	ino2=$(stat -c %i "${layers[0]}")
	assert_eq "$ino1" "$ino2" "layer dir inode after a re-import"
	assert_eq 0 "$(count "$TEST_TMP/state/images/tmp")" "leftovers in tmp/"
}

register_test image_import_oci_archive
test_image_import_oci_archive() {
	need_berth
	local img layers
	img=$(test_image stress)
	tar -C "$img" -cf stress.tar .
	tar -C "$img" -czf stress.tar.gz .
	assert_ok bimg import stress:tar stress.tar
	assert_ok bimg import localhost:5000/stress:gz stress.tar.gz
	assert_ok bimg import stress:dir "$img"
	assert_eq "$(image_id docker.io/library/stress:dir)" "$(image_id docker.io/library/stress:tar)" "IMAGE ID of the tar import"
	assert_eq "$(image_id docker.io/library/stress:dir)" "$(image_id localhost:5000/stress:gz)" "IMAGE ID of the tar.gz import"
	assert_eq 1 "$(count "$TEST_TMP/state/images/layers")" "layers (shared by diff_id)"
	mapfile -t layers < <(layer_dirs localhost:5000/stress:gz)
	assert_ok chroot "${layers[0]}" /usr/local/bin/stress --version
}

register_test image_import_docker_archive
test_image_import_docker_archive() {
	need_berth
	local img layers
	img=$(test_image busybox)
	"$BERTH_SRCDIR/tests/images/build-image" --docker-archive busybox busybox-docker.tar
	assert_ok bimg import busybox:docker busybox-docker.tar
	assert_ok bimg import busybox:oci "$img"
	# the same config blob: the same image ID; the same layer
	assert_eq "$(image_id docker.io/library/busybox:oci)" "$(image_id docker.io/library/busybox:docker)" "IMAGE ID"
	assert_eq 1 "$(count "$TEST_TMP/state/images/layers")" "layers"
	mapfile -t layers < <(layer_dirs busybox:docker)
	assert_eq ok "$(chroot "${layers[0]}" /bin/sh -c 'echo ok')" "sh in the layer"
}

# make_layout2 DIR: an OCI layout of two layers; the top one deletes /gone
# (.wh.gone) and makes /dir opaque (.wh..wh..opq).
make_layout2() {
	local out=$1 i diff=() dig=() size=() cfg csize man msize
	mkdir -p l1/keep l1/dir l2/dir "$out/blobs/sha256"
	echo keep >l1/keep/a
	echo gone >l1/gone
	echo lower >l1/dir/lower
	: >l2/.wh.gone
	: >l2/dir/.wh..wh..opq
	echo upper >l2/dir/upper
	for i in 1 2; do
		tar --sort=name --owner=0 --group=0 -C "l$i" -cf "l$i.tar" .
		diff[i]=$(sha256sum "l$i.tar" | cut -d' ' -f1)
		gzip -n "l$i.tar"
		dig[i]=$(sha256sum "l$i.tar.gz" | cut -d' ' -f1)
		size[i]=$(stat -c %s "l$i.tar.gz")
		mv "l$i.tar.gz" "$out/blobs/sha256/${dig[i]}"
	done
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
		"${diff[1]}" "${diff[2]}" >config.json
	cfg=$(sha256sum config.json | cut -d' ' -f1) csize=$(stat -c %s config.json)
	mv config.json "$out/blobs/sha256/$cfg"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
		"$cfg" "$csize" "${dig[1]}" "${size[1]}" "${dig[2]}" "${size[2]}" >manifest.json
	man=$(sha256sum manifest.json | cut -d' ' -f1) msize=$(stat -c %s manifest.json)
	mv manifest.json "$out/blobs/sha256/$man"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' \
		"$man" "$msize" >"$out/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
}

register_test image_whiteouts_overlay
test_image_whiteouts_overlay() {
	need_berth
	local merged=$TEST_TMP/merged layers
	make_layout2 layout2
	assert_ok bimg import wh layout2
	mapfile -t layers < <(layer_dirs wh)
	assert_eq 2 "${#layers[@]}" "layers of wh"
	assert_eq "character special file 0 0" "$(stat -c '%F %t %T' "${layers[1]}/gone")" "whiteout of /gone"
	assert_no_file "${layers[1]}/.wh.gone" ".wh.gone kept as a file"
	assert_no_file "${layers[1]}/dir/.wh..wh..opq" ".wh..wh..opq kept as a file"
	if command -v getfattr >/dev/null; then
		assert_contains "$(getfattr -n trusted.overlay.opaque "${layers[1]}/dir" 2>&1)" 'trusted.overlay.opaque="y"' "opaque xattr"
	fi
	mkdir "$merged"
	mount -t overlay overlay -o "lowerdir=${layers[1]}:${layers[0]}" "$merged"
	track_mount "$merged"
	assert_no_file "$merged/gone" "a whited-out file in the overlay"
	assert_eq keep "$(cat "$merged/keep/a")" "a lower file in the overlay"
	assert_eq upper "$(ls "$merged/dir")" "an opaque dir shows only the upper layer"
}

register_test image_rm_gc
test_image_rm_gc() {
	need_berth
	local bb st out layers
	bb=$(test_image busybox)
	st=$(test_image stress)
	assert_ok bimg import busybox "$bb"
	assert_ok bimg import stress "$st"
	assert_eq 2 "$(count "$TEST_TMP/state/images/layers")" "layers"
	assert_eq 4 "$(count "$TEST_TMP/state/images/blobs/sha256")" "blobs"
	assert_ok bimg rm busybox
	out=$(bimg ls -q)
	assert_eq docker.io/library/stress:latest "$out" "images after rm busybox"
	assert_eq 1 "$(count "$TEST_TMP/state/images/layers")" "layers after rm busybox"
	mapfile -t layers < <(layer_dirs stress)
	assert_file "${layers[0]}/usr/local/bin/stress" "stress's layer"
	assert_ok bimg rm docker.io/library/stress:latest
	assert_eq "" "$(bimg ls -q)" "images after rm stress"
	assert_eq 0 "$(count "$TEST_TMP/state/images/layers")" "layers after rm stress"
	assert_eq 0 "$(count "$TEST_TMP/state/images/blobs/sha256")" "blobs after rm stress"
	out=$(assert_status 1 bimg rm busybox)
	assert_contains "$out" 'image "docker.io/library/busybox:latest" not found' "rm of a missing image"
	out=$(assert_status 1 bimg inspect busybox)
	assert_contains "$out" 'import it with "berth image import busybox PATH"' "inspect of a missing image"
}

# An image removed while a pod uses it: its name goes, its layers stay
# leased to the pod (containerd's leases), and go when the pod does.
register_test image_rm_in_use
test_image_rm_in_use() {
	need_berth
	need_cgroup2
	local cg pid out
	cg=$(make_cgroup berth)
	assert_ok bimg import busybox "$(test_image busybox)"
	mkdir x
	cat >pod.yaml <<YAML
apiVersion: v1
kind: Pod
metadata: {name: inuse}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'until [ -e /x/go ]; do sleep 0.1; done; cat /etc/passwd >/x/passwd && echo ok >/x/done']
    volumeMounts: [{name: x, mountPath: /x}]
  volumes: [{name: x, hostPath: {path: $TEST_TMP/x, type: Directory}}]
YAML
	"$BERTH_BIN" run --root "$TEST_TMP/state" --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$cg" --no-cni \
		-f pod.yaml --timeout 120s >run.out 2>&1 &
	pid=$!
	defer sh -c "kill $pid 2>/dev/null || true"
	defer rm -rf --one-file-system "$TEST_TMP/run"
	wait_for 60 sh -c "ls '$TEST_TMP'/state/images/leases/*/*"
	assert_ok bimg rm busybox
	assert_eq "" "$(bimg ls -q)" "images after rm of the image in use"
	assert_eq 1 "$(count "$TEST_TMP/state/images/layers")" "layers while the pod runs"
	assert_eq 0 "$(count "$TEST_TMP/state/images/blobs/sha256")" "blobs after rm"
	touch x/go
	wait "$pid" || fail "berth run: status $? ($(cat run.out))"
	assert_eq ok "$(cat x/done 2>/dev/null)" "the container, after its image was removed"
	assert_contains "$(cat x/passwd)" "root:x:0:0" "/etc/passwd from the image's layer"
	assert_eq 0 "$(count "$TEST_TMP/state/images/layers")" "layers once the pod is gone"
	assert_eq 0 "$(count "$TEST_TMP/state/images/leases")" "lease records once the pod is gone"
	assert_eq 0 "$(count "$TEST_TMP/state/images/tmp")" "leftovers in tmp/"
}

# flip_byte FILE OFFSET
flip_byte() {
	local c oct
	c=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf -v oct '%03o' $(((c ^ 1) & 255))
	printf '%b' "\\$oct" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

register_test image_tampered
test_image_tampered() {
	need_berth
	local img m layer cfg out
	img=$(test_image busybox)
	cp -r "$img" bad-layer
	cp -r "$img" bad-config
	m=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$img/index.json" | head -n 1 | grep -o '[0-9a-f]\{64\}')
	layer=$(grep -o '"layers":\[{[^}]*}' "$img/blobs/sha256/$m" | grep -o '[0-9a-f]\{64\}')
	cfg=$(grep -o '"config":{[^}]*}' "$img/blobs/sha256/$m" | grep -o '[0-9a-f]\{64\}')
	flip_byte "bad-layer/blobs/sha256/$layer" 5000
	out=$(assert_fails bimg import busybox bad-layer)
	assert_contains "$out" "layer sha256:$layer" "the error names the layer"
	assert_eq 0 "$(count "$TEST_TMP/state/images/layers")" "layers after a rejected import"
	assert_eq 0 "$(count "$TEST_TMP/state/images/tmp")" "tmp/ after a rejected import"
	flip_byte "bad-config/blobs/sha256/$cfg" 10
	out=$(assert_fails bimg import busybox bad-config)
	assert_contains "$out" "config sha256:$cfg: digest mismatch" "the error names the config"
	assert_eq "" "$(bimg ls -q)" "images after rejected imports"
}

register_test image_names
test_image_names() {
	need_berth
	local img out
	img=$(test_image busybox)
	out=$(assert_status 1 bimg import Foo/Bar "$img")
	assert_contains "$out" "repository name must be lowercase" "uppercase name"
	out=$(assert_status 1 bimg import busybox:-x "$img")
	assert_contains "$out" 'invalid tag "-x"' "bad tag"
	out=$(assert_status 1 bimg import busybox@sha256:abc "$img")
	assert_contains "$out" "invalid digest" "bad digest"
	assert_ok bimg import localhost:5000/bb:1 "$img"
	assert_eq localhost:5000/bb:1 "$(bimg ls -q)" "a registry name is kept"
	assert_status 2 bimg import onlyone
	assert_contains "$(bimg --help)" "Usage: berth image" "help"
}

register_test image_concurrent_imports
test_image_concurrent_imports() {
	need_berth
	local bb st p1 p2 rc1=0 rc2=0
	bb=$(test_image busybox)
	st=$(test_image stress)
	bimg import busybox "$bb" >a.log 2>&1 &
	p1=$!
	bimg import stress "$st" >b.log 2>&1 &
	p2=$!
	wait "$p1" || rc1=$?
	wait "$p2" || rc2=$?
	assert_eq 0 "$rc1" "import busybox: $(cat a.log)"
	assert_eq 0 "$rc2" "import stress: $(cat b.log)"
	assert_eq $'docker.io/library/busybox:latest\ndocker.io/library/stress:latest' "$(bimg ls -q)" "images"
	assert_eq 2 "$(count "$TEST_TMP/state/images/layers")" "layers"
	assert_eq 0 "$(count "$TEST_TMP/state/images/tmp")" "tmp/"
}
