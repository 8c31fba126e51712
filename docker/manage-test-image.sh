# shellcheck shell=bash
# Sourced by manage.sh (never run on its own): the `test-image` command.
# It uses manage.sh's helpers and settings (ROOT, IMAGE, info, die, ...).
# shellcheck disable=SC2154 # those settings are assigned in manage.sh

# ---------------------------------------------------------------------------
# test-image: build the image, run it, wait for its healthcheck, publish a
# packet to its Mosquitto and see it on the WebSocket and in the API, clean
# up. For anyone with Docker; CI has no engine and does not call it (the
# normal suite checks the Dockerfile statically and runs the same layout
# natively, internal/deploytest).
# ---------------------------------------------------------------------------
TEST_IMAGE_CONTAINER=""
TEST_IMAGE_TAGS=()

test_image_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$TEST_IMAGE_CONTAINER" ]; then
		if [ "$rc" != 0 ]; then
			warn "test-image failed; the container's last log lines:"
			docker logs --tail 60 "$TEST_IMAGE_CONTAINER" >&2 2>&1 || true
		fi
		docker rm -f -v "$TEST_IMAGE_CONTAINER" >/dev/null 2>&1 || true
	fi
	if [ ${#TEST_IMAGE_TAGS[@]} -gt 0 ]; then
		docker rmi "${TEST_IMAGE_TAGS[@]}" >/dev/null 2>&1 || true
	fi
	info "test-image: cleaned up (container and test images removed; the build cache stays)"
	exit "$rc"
}

cmd_test_image() {
	have docker || die "test-image: no docker command found; this check needs a Docker engine (it is not part of ./manage.sh test)"
	timeout 20 docker info >/dev/null 2>&1 ||
		die "test-image: no Docker engine answers ('docker info' failed); start Docker (or set DOCKER_HOST) and retry"
	local run_id
	run_id="$(date +%s)-$$"
	local IMAGE="corescope:test-image-$run_id"
	local checker="corescope:test-image-checker-$run_id"
	TEST_IMAGE_CONTAINER="corescope-test-image-$run_id"
	trap test_image_cleanup EXIT
	trap 'exit 130' INT TERM

	local CORESCOPE_BUILD_TIME
	# shellcheck disable=SC2034 # read by docker_build (manage.sh)
	CORESCOPE_BUILD_TIME="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	docker_build || die "test-image: docker build failed"
	TEST_IMAGE_TAGS+=("$IMAGE")
	# The checker runs in the image's build stage (Go and the source are
	# there), so the host needs nothing but Docker; same build arguments,
	# so every layer comes from the cache of the build above.
	IMAGE="$checker" docker_build --target build -q >/dev/null || die "test-image: building the build stage failed"
	TEST_IMAGE_TAGS+=("$checker")

	info "starting container $TEST_IMAGE_CONTAINER"
	docker run -d --name "$TEST_IMAGE_CONTAINER" -p 127.0.0.1::80 -p 127.0.0.1::1883 \
		--health-interval 2s --health-start-period 120s "$IMAGE" >/dev/null ||
		die "test-image: docker run failed"

	info "waiting for the image's HEALTHCHECK (/api/healthz) to report healthy"
	local status="" i
	for ((i = 0; i < 90; i++)); do
		status="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$TEST_IMAGE_CONTAINER" 2>/dev/null || echo gone)"
		case "$status" in
			healthy) break ;;
			unhealthy | none | gone) die "test-image: container health is '$status'" ;;
		esac
		[ "$(docker inspect -f '{{.State.Running}}' "$TEST_IMAGE_CONTAINER" 2>/dev/null)" = true ] ||
			die "test-image: the container exited"
		sleep 2
	done
	[ "$status" = healthy ] || die "test-image: not healthy after 180 s (last status: $status)"

	local http_port mqtt_port
	http_port="$(docker port "$TEST_IMAGE_CONTAINER" 80/tcp | head -n 1)"
	http_port="${http_port##*:}"
	mqtt_port="$(docker port "$TEST_IMAGE_CONTAINER" 1883/tcp | head -n 1)"
	mqtt_port="${mqtt_port##*:}"
	if [ -z "$http_port" ] || [ -z "$mqtt_port" ]; then die "test-image: ports 80/1883 are not published"; fi
	info "healthy; published on 127.0.0.1:$http_port (HTTP) and 127.0.0.1:$mqtt_port (MQTT)"
	HTTP_TIMEOUT=10 http_get "http://127.0.0.1:$http_port/api/healthz" >/dev/null ||
		die "test-image: /api/healthz does not answer through the published port $http_port"

	info "publishing a packet to the container's Mosquitto; expecting it on the WebSocket and in the API"
	docker run --rm --network "container:$TEST_IMAGE_CONTAINER" "$checker" \
		go run ./internal/deploytest/stackcheck -base http://127.0.0.1:80 -mqtt tcp://127.0.0.1:1883 -timeout 90s ||
		die "test-image: the end-to-end check failed"
	info "test-image passed: build, healthcheck, MQTT → ingestor → API and WebSocket"
}
