# CoreScope: one image with Mosquitto, the ingestor, the server and Caddy.
#
#   docker build -t corescope .
#   docker run -d --name corescope -p 80:80 -p 443:443 -p 1883:1883 \
#       -v corescope-data:/app/data -v corescope-caddy:/data/caddy corescope
#
# The binaries are built by `./manage.sh build` — the same command the tests
# and `./manage.sh demo` use (CGO_ENABLED=0, -trimpath), so the image runs
# exactly what CI tested.

ARG GO_VERSION=1.26
ARG ALPINE_VERSION=3.22

FROM golang:${GO_VERSION}-alpine AS build
RUN apk add --no-cache bash
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG APP_VERSION=unknown
ARG GIT_COMMIT=unknown
ARG BUILD_TIME=unknown
RUN CORESCOPE_BIN_DIR=/out ./manage.sh build \
	&& printf '%s\n' "$GIT_COMMIT" > /out/.git-commit

FROM alpine:${ALPINE_VERSION}
# bash runs the entrypoint and the log prefixer; sqlite serves
# `manage.sh backup` inside the container; tzdata for the timestamps config.
RUN apk add --no-cache mosquitto mosquitto-clients caddy supervisor bash sqlite tzdata ca-certificates wget \
	&& apk add --no-cache --virtual .setcap libcap-setcap \
	&& addgroup -S corescope && adduser -S -H -G corescope -h /app -s /sbin/nologin corescope

WORKDIR /app
COPY --from=build /out/ /app/
COPY docker/ /app/docker/
COPY docker/Caddyfile /etc/caddy/Caddyfile
COPY config.example.json* channel-rainbow.json* /app/
# The programs run as "corescope"; these two may need ports 80/443 (Caddy,
# or the server itself when DISABLE_CADDY=true).
RUN setcap cap_net_bind_service=+ep "$(command -v caddy)" \
	&& setcap cap_net_bind_service=+ep /app/corescope-server \
	&& apk del .setcap \
	&& ln -s /app/corescope-ingestor /app/corescope-server /app/corescope-meshsim /usr/local/bin/ \
	&& mkdir -p /app/data /data/caddy /run/corescope \
	&& chown -R corescope:corescope /app/data /data/caddy /run/corescope

ARG APP_VERSION=unknown
ARG GIT_COMMIT=unknown
ARG BUILD_TIME=unknown
ENV APP_VERSION=${APP_VERSION} GIT_COMMIT=${GIT_COMMIT} BUILD_TIME=${BUILD_TIME} \
	CORESCOPE_APP=/app CORESCOPE_DATA=/app/data CORESCOPE_RUN=/run/corescope \
	CORESCOPE_DOCKER=/app/docker XDG_DATA_HOME=/data
LABEL org.opencontainers.image.title="CoreScope" \
	org.opencontainers.image.description="Self-hosted analyzer for MeshCore LoRa mesh networks" \
	org.opencontainers.image.version="${APP_VERSION}" \
	org.opencontainers.image.revision="${GIT_COMMIT}"

# 80/443: Caddy (HTTP, HTTPS with CORESCOPE_DOMAIN); 1883: Mosquitto;
# 3000: the server itself (only published when you bypass Caddy).
EXPOSE 80 443 1883 3000
VOLUME ["/app/data", "/data/caddy"]
# /api/healthz answers 200 once the server's store is loaded; the first load
# of a big database can take a while, hence the start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["/app/docker/healthcheck.sh"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/docker/entrypoint.sh"]
