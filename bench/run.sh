#!/usr/bin/env bash
# ApiLink benchmarks: ApiLink in Tomcat 11 and Jetty 12 against nginx proxy_pass and two Java proxy
# servlets, all on loopback in front of the same nginx backend. See bench/README.md.
#
#   bench/run.sh            the full run (3 rounds x 10 s per cell, 2 GiB streaming), about 25 min
#   bench/run.sh --quick    1 round x 2 s per cell, a subset of the rest: under 3 min once built
#
# A full run also puts its tables into the README's "Benchmarks" section (--readme: a quick run too).
# Options: --rebuild (build even if the WARs look up to date), --no-profile (skip the JFR profile),
# --serve (start the backend and the six configurations, print their URLs, wait for Ctrl-C),
# --compare A.war B.war ... (Tomcat + each ApiLink WAR, interleaved: req/s and CPU per request).
# Writes bench/results/<date>[-quick].md, .png, .csv; scratch files in bench/results/tmp/.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
MODE=full
QUICK=0
README=0
COMPARE_WARS=()
REBUILD=0
PROFILE=1
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1 ;;
    --rebuild) REBUILD=1 ;;
    --no-profile) PROFILE=0 ;;
    --readme) README=1 ;;
    --serve) MODE=serve ;;
    --compare) MODE=compare ;;
    *.war) COMPARE_WARS+=("$(realpath "$arg")") ;;
    -h | --help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "run.sh: unknown option $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

[ "$QUICK" = 1 ] && [ "$MODE" = full ] && MODE=quick
if [ "$QUICK" = 1 ]; then
  ROUNDS=1 DURATION=2 WARMUP=3 WARMUP_MAX=0 STREAM_MIB=256 PROFILE_SECONDS=3 TOKEN_REQUESTS=10000
  STREAM_CONTAINERS="tomcat" BURST_CONFIGS="direct tomcat-apilink"
else
  ROUNDS=3 DURATION=10 WARMUP=5 WARMUP_MAX=180 STREAM_MIB=2048 PROFILE_SECONDS=20 TOKEN_REQUESTS=100000
  STREAM_CONTAINERS="tomcat jetty"
  # mitre's blocking proxy takes 2000 / 50 x 2 s = 80 s here: the contrast the run is about.
  # "direct" (the client straight to the backend) is what the machine itself takes for the burst.
  BURST_CONFIGS="direct tomcat-apilink jetty-apilink tomcat-jetty-proxy tomcat-mitre"
fi
# For trying the harness itself: shorter full runs (their numbers are not comparable).
ROUNDS=${BENCH_ROUNDS:-$ROUNDS} DURATION=${BENCH_DURATION:-$DURATION} WARMUP=${BENCH_WARMUP:-$WARMUP}
WARMUP_MAX=${BENCH_WARMUP_MAX:-$WARMUP_MAX}
STREAM_MIB=${BENCH_STREAM_MIB:-$STREAM_MIB}
BODIES="1k 256k"
CONNECTIONS="32 256"
CONFIGS="direct nginx tomcat-apilink jetty-apilink tomcat-jetty-proxy tomcat-mitre"
BURST_REQUESTS=2000
BURST_THREADS=50
# The same for every Java container (the streaming runs replace the heap size with -Xmx64m).
JVM_FLAGS="-Xms512m -Xmx512m -XX:+UseG1GC"
STREAM_JVM_FLAGS="-Xmx64m -XX:+UseG1GC"

# Fixed loopback ports; BENCH_PORT_BASE moves them all.
P=${BENCH_PORT_BASE:-18080}
declare -A PORT=(
  [direct]=$P [nginx]=$((P + 1)) [tomcat-apilink]=$((P + 2)) [jetty-apilink]=$((P + 3))
  [tomcat-jetty-proxy]=$((P + 4)) [tomcat-mitre]=$((P + 5)) [hashsink]=$((P + 6))
  [stream-tomcat]=$((P + 7)) [stream-jetty]=$((P + 8)) [burst-tomcat-apilink]=$((P + 9))
  [burst-jetty-apilink]=$((P + 10)) [burst-tomcat-jetty-proxy]=$((P + 11))
  [burst-tomcat-mitre]=$((P + 12)))
BACKEND=http://127.0.0.1:${PORT[direct]}

DATE=$(date +%Y-%m-%d)
NAME=$DATE$([ "$MODE" = quick ] && echo -quick || true)
RESULTS=$BENCH/results
TMP=$RESULTS/tmp/run
CSV=$RESULTS/$NAME.csv
FACTS=$TMP/facts.txt
STARTED_AT=$(date +%s)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "FAILED: $*"
  exit 1
}
fact() { printf '%s=%s\n' "$1" "$2" >>"$FACTS"; }

# ---- processes: every one this script starts is stopped by its own pid on exit ----

declare -A PIDS=()
start_bg() { # name logfile command...
  local name=$1 logfile=$2
  shift 2
  "$@" >"$logfile" 2>&1 &
  PIDS[$name]=$!
}
stop() {
  local name=$1 pid=${PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  unset "PIDS[$name]"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  local name
  for name in "${!PIDS[@]}"; do stop "$name"; done
  rm -f "$TMP/www/api/big.bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # url seconds [expected status]: until the URL answers
  local url=$1 seconds=$2 status=${3:-200} i
  for i in $(seq 1 $((seconds * 10))); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" = "$status" ]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
vm() { # pid field: a /proc/<pid>/status value (kB for memory)
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# CPU time used by processes outside this run (another build, say), sampled every 2 s from
# /proc/<pid>/stat: processes in this script's session are ours. Writes the total in seconds.
# A process counts from when the watch first saw it, or from its start if it began later; each
# is known by its pid and start time, so a reused pid is another process. (Until 2026-11-27 awk
# read the files itself: Debian's mawk stops at the first process that has exited since the list
# was made, so long-lived kernel threads were first seen mid-run and their whole lifetime, about
# 560 CPU-seconds for the memory monitor kdamond alone, was counted as load during the run.)
watch_others() { # output-file
  local out=$1 sid tick
  sid=$(awk '{ sub(/.*\) /, ""); print $4 }' /proc/$$/stat)
  tick=$(getconf CLK_TCK)
  echo 0 >"$out"
  (
    declare -A seen=()
    local total=0 key ticks started first=1 since
    since=$(awk '{ sub(/.*\) /, ""); print $20 }' /proc/"$BASHPID"/stat)
    while true; do
      while read -r key ticks started; do
        if [ -n "${seen[$key]+x}" ]; then
          total=$((total + ticks - seen[$key]))
        elif [ "$first" = 0 ] && [ "$started" -ge "$since" ]; then
          total=$((total + ticks))
        fi
        seen[$key]=$ticks
      done < <(cat /proc/[0-9]*/stat 2>/dev/null | awk -v sid="$sid" '{ pid = $1; sub(/.*\) /, "");
        if ($4 != sid) print pid ":" $20, $12 + $13, $20 }')
      first=0
      awk -v t="$total" -v k="$tick" 'BEGIN { printf "%.0f\n", t / k }' >"$out"
      sleep 2
    done
  ) &
  PIDS[watch-others]=$!
}

# ---- 1. what the run needs ----

install_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || missing+=(nginx)
  [ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ] || missing+=(libnginx-mod-http-echo)
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
  command -v curl >/dev/null || missing+=(curl)
  command -v unzip >/dev/null || missing+=(unzip)
  command -v mvn >/dev/null || missing+=(maven)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian's packages"
    [ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v java >/dev/null || die "needs a JDK 17+ on the PATH"
  # Debian's nginx package starts a system nginx on port 80; ours run on their own ports only.
}

pom_property() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$ROOT/pom.xml" | head -1; }

build() {
  local war stale
  war=$(ls "$ROOT"/war-sample/target/apilink-war-sample-*.war 2>/dev/null | head -1 || true)
  stale=1
  if [ -n "$war" ] && [ -d "$ROOT/src-test/target/distributions" ] && [ "$REBUILD" = 0 ]; then
    stale=$(find "$ROOT/pom.xml" "$ROOT/filter" "$ROOT/war-sample" -newer "$war" -type f \
      -not -path '*/target/*' | head -1 | wc -l)
  fi
  if [ "$stale" != 0 ]; then
    log "building ApiLink and unpacking the distributions (mvn -B -q verify -DskipTests)"
    (cd "$ROOT" && mvn -B -q -Dstyle.color=never verify -DskipTests) || die "the build failed"
  else
    log "ApiLink's WAR is up to date (--rebuild forces a build)"
  fi
  local peers=$BENCH/peers jetty_version
  jetty_version=$(pom_property jetty.version)
  if [ "$REBUILD" = 1 ] || [ ! -f "$peers/mitre/target/peer-mitre.war" ] ||
    [ ! -f "$peers/jetty-proxy/target/peer-jetty-proxy.war" ] ||
    [ -n "$(find "$peers" -name pom.xml -newer "$peers/jetty-proxy/target/peer-jetty-proxy.war")" ] ||
    ! unzip -l "$peers/jetty-proxy/target/peer-jetty-proxy.war" | grep -q "jetty-ee10-proxy-$jetty_version.jar"; then
    log "building the peers' WARs (bench/peers, Jetty $jetty_version)"
    mvn -B -q -Dstyle.color=never -f "$peers/pom.xml" package -Djetty.version="$jetty_version" || die "the peers' build failed"
  fi
  APILINK_WAR=$(ls "$ROOT"/war-sample/target/apilink-war-sample-*.war | head -1)
  MITRE_WAR=$peers/mitre/target/peer-mitre.war
  JETTY_PROXY_WAR=$peers/jetty-proxy/target/peer-jetty-proxy.war
  TOMCAT_HOME=$(ls -d "$ROOT"/src-test/target/distributions/apache-tomcat-11.* | tail -1)
  JETTY_HOME=$(ls -d "$ROOT"/src-test/target/distributions/jetty-home-12.* | tail -1)
  [ -d "$TOMCAT_HOME" ] && [ -d "$JETTY_HOME" ] || die "no Tomcat 11 / Jetty 12 in src-test/target/distributions"
}

machine_facts() {
  fact mode "$MODE"
  fact date "$(date '+%Y-%m-%d %H:%M %Z')"
  fact rounds "$ROUNDS"
  fact duration "$DURATION"
  if [ "$MODE" = quick ]; then
    fact warmup "$((WARMUP * 2)) s (1 KiB) and $WARMUP s (256 KiB) per configuration at 32 connections"
  else
    fact warmup "each Java configuration at 1 KiB x 32 until two 10 s runs agree within 10 % (40 s to $WARMUP_MAX s), then $WARMUP s per configuration and cell"
  fi
  fact token_target "$TOKEN_REQUESTS"
  fact load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
  fact nproc "$(nproc)"
  fact cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  fact memory "$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  fact kernel "$(uname -sr)"
  fact os "$(. /etc/os-release && echo "$PRETTY_NAME")"
  fact jdk "$(java -version 2>&1 | sed -n 2p)"
  fact nginx "$(nginx -v 2>&1 | sed 's/.*nginx\///')"
  fact wrk "$(wrk -v 2>&1 | head -1 | awk '{ print $2 }')"
  fact tomcat "$(basename "$TOMCAT_HOME" | sed 's/apache-tomcat-//')"
  fact jetty "$(basename "$JETTY_HOME" | sed 's/jetty-home-//')"
  fact jetty_client "$(pom_property jetty.version)"
  fact apilink "$(basename "$APILINK_WAR" .war | sed 's/apilink-war-sample-//')"
  fact apilink_commit "$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- filter war-sample || echo ' (with uncommitted changes)')"
  fact jvm_flags "$JVM_FLAGS"
  fact stream_jvm_flags "$STREAM_JVM_FLAGS"
}

# ---- 2. backend and nginx proxy ----

write_backend() {
  mkdir -p "$TMP/www/api" "$TMP/nginx-backend"
  head -c 1024 /dev/urandom >"$TMP/www/api/1k"
  head -c $((256 * 1024)) /dev/urandom >"$TMP/www/api/256k"
  {
    echo '# The backend (and, for ApiLink, the "gateway"): fixed bodies, never the bottleneck.'
    echo 'load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;'
    nginx_main nginx-backend
  } >"$TMP/nginx-backend/nginx.conf"
  cat >>"$TMP/nginx-backend/nginx.conf" <<EOF
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $TMP/nginx-backend/client_body;
  proxy_temp_path $TMP/nginx-backend/proxy;
  fastcgi_temp_path $TMP/nginx-backend/fastcgi;
  uwsgi_temp_path $TMP/nginx-backend/uwsgi;
  scgi_temp_path $TMP/nginx-backend/scgi;
  log_format tokens '\$http_authorization';
  server {
    listen 127.0.0.1:${PORT[direct]} backlog=8192;
    root $TMP/www;
    location /api/ { }
    # The token-cost run: the same files, with the token each request carried logged.
    location /api/tok/ {
      alias $TMP/www/api/;
      access_log $TMP/tokens.log tokens;
    }
    # The concurrency run: answers after 2 s, without holding a thread (nginx timers).
    location = /api/slow {
      default_type text/plain;
      echo_sleep 2;
      echo ok;
    }
    # What a proxy added: the key and the token, for the check before the run.
    location = /api/headers {
      default_type text/plain;
      return 200 "key=\$http_ocp_apim_subscription_key\nauthorization=\$http_authorization\n";
    }
    # The upload end of the streaming run: passed on unbuffered to the hashing sink.
    location = /api/sink {
      client_max_body_size 0;
      proxy_request_buffering off;
      proxy_http_version 1.1;
      proxy_read_timeout 600s;
      proxy_send_timeout 600s;
      proxy_pass http://127.0.0.1:${PORT[hashsink]};
    }
  }
}
EOF
}

# The main-context lines both nginx configurations share (name: the folder under $TMP).
nginx_main() { # name
  [ "$(id -u)" != 0 ] || echo "user root;"
  cat <<EOF
daemon off;
worker_processes auto;
worker_rlimit_nofile 65536;
pid $TMP/$1/nginx.pid;
error_log $TMP/$1/error.log warn;
events { worker_connections 16384; }
EOF
}

write_nginx_proxy() {
  mkdir -p "$TMP/nginx-proxy"
  {
    echo "# Configuration 2: nginx proxy_pass with upstream keep-alive; otherwise nginx's defaults."
    nginx_main nginx-proxy
  } >"$TMP/nginx-proxy/nginx.conf"
  cat >>"$TMP/nginx-proxy/nginx.conf" <<EOF
http {
  access_log off;
  client_body_temp_path $TMP/nginx-proxy/client_body;
  proxy_temp_path $TMP/nginx-proxy/proxy;
  fastcgi_temp_path $TMP/nginx-proxy/fastcgi;
  uwsgi_temp_path $TMP/nginx-proxy/uwsgi;
  scgi_temp_path $TMP/nginx-proxy/scgi;
  upstream backend {
    server 127.0.0.1:${PORT[direct]};
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${PORT[nginx]};
    location /api/ {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
}

start_nginx() { # name
  start_bg "$1" "$TMP/$1/console.log" nginx -p "$TMP/$1" -c "$TMP/$1/nginx.conf"
}

# ---- 3. containers ----

apilink_config() { # file port extra-backend-json
  cat >"$1" <<EOF
{
  "hostname": "http://127.0.0.1:$2",
  "environments": {
    "production": {
      "backend": {
        "resourceType": "apiManagement",
        "url": "$BACKEND",
        "subscriptionKey": "bench-subscription-key"$3
      }
    }
  }
}
EOF
}

# A fresh CATALINA_BASE: stock conf/, the HTTP connector on loopback (NIO, defaults unless
# maxThreads is given), no shutdown port, and no access log (none of the configurations logs).
tomcat_base() { # base port [maxThreads]
  local base=$1 port=$2 threads=${3:-}
  rm -rf "$base"
  mkdir -p "$base"/{conf,webapps,logs,temp,work}
  cp -r "$TOMCAT_HOME"/conf/* "$base/conf/"
  local connector="<Connector port=\"$port\" address=\"127.0.0.1\""
  [ -n "$threads" ] && connector="$connector maxThreads=\"$threads\""
  perl -0pi -e "s{<Server port=\"8005\"}{<Server port=\"-1\"}; s{<Connector port=\"8080\"}{$connector};
    s{<Valve className=\"org.apache.catalina.valves.AccessLogValve\".*?/>}{}s" "$base/conf/server.xml"
  grep -q "port=\"$port\"" "$base/conf/server.xml" || die "$base: no HTTP connector to configure"
}

start_tomcat() { # name base jvm-flags [VAR=value...]
  local name=$1 base=$2 flags=$3
  shift 3
  start_bg "$name" "$base/console.log" env -u JAVA_OPTS -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS \
    -u CATALINA_OPTS "$@" CATALINA_HOME="$TOMCAT_HOME" CATALINA_BASE="$base" \
    CATALINA_OPTS="$flags" sh "$TOMCAT_HOME/bin/catalina.sh" run
}

# A fresh jetty.base as the Jetty documentation makes one (http, ee11-deploy), defaults otherwise.
jetty_base() { # base
  local base=$1
  rm -rf "$base"
  mkdir -p "$base/work"
  (cd "$base" && java -jar "$JETTY_HOME/start.jar" jetty.base="$base" --add-modules=http,ee11-deploy \
    >"$base/add-modules.log" 2>&1) || die "jetty --add-modules failed, see $base/add-modules.log"
}

start_jetty() { # name base port jvm-flags "jetty properties" [VAR=value...]
  local name=$1 base=$2 port=$3 flags=$4 props=$5
  shift 5
  # shellcheck disable=SC2086 # flags and properties are word lists
  start_bg "$name" "$base/console.log" env -u JAVA_OPTS -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS \
    "$@" java $flags -jar "$JETTY_HOME/start.jar" jetty.base="$base" jetty.http.host=127.0.0.1 \
    jetty.http.port="$port" $props
}

# The peers: the WAR unpacked as ROOT, with a web.xml naming this run's backend.
peer_webapp() { # kind(mitre|jetty-proxy) webapps-dir
  local kind=$1 dir=$2/ROOT
  mkdir -p "$dir"
  if [ "$kind" = mitre ]; then
    (cd "$dir" && unzip -q "$MITRE_WAR")
    # Without useSystemProperties=false, HttpClient's system-property defaults win and allow only
    # 5 connections to the backend; with it, http.maxConnections applies (1024, as ApiLink's pool).
    servlet "proxy" "org.mitre.dsmiley.httpproxy.ProxyServlet" false \
      targetUri "$BACKEND/api" log false useSystemProperties false http.maxConnections 1024 >"$dir/WEB-INF/web.xml"
  else
    (cd "$dir" && unzip -q "$JETTY_PROXY_WAR")
    # Outside Jetty, the proxy needs maxThreads for its client's pool (200, as ApiLink's).
    servlet "proxy" 'org.eclipse.jetty.ee10.proxy.AsyncProxyServlet$Transparent' true \
      proxyTo "$BACKEND" maxThreads 200 maxConnections 1024 >"$dir/WEB-INF/web.xml"
  fi
}
servlet() { # name class async param value...
  local name=$1 class=$2 async=$3
  shift 3
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="true">'
  echo "  <servlet><servlet-name>$name</servlet-name><servlet-class>$class</servlet-class>"
  while [ $# -gt 0 ]; do
    echo "    <init-param><param-name>$1</param-name><param-value>$2</param-value></init-param>"
    shift 2
  done
  echo "    <load-on-startup>1</load-on-startup><async-supported>$async</async-supported></servlet>"
  echo "  <servlet-mapping><servlet-name>$name</servlet-name><url-pattern>/api/*</url-pattern></servlet-mapping>"
  echo '</web-app>'
}

# Starts configuration <name> (one of CONFIGS, or a burst-/stream- variant) on PORT[name].
start_config() { # name jvm-flags [maxThreads] [extra ApiLink backend JSON]
  local name=$1 flags=$2 threads=${3:-} extra=${4:-} port=${PORT[$1]} base=$TMP/$1
  case $name in
    *tomcat-apilink | stream-tomcat)
      tomcat_base "$base" "$port" "$threads"
      cp "$APILINK_WAR" "$base/webapps/ROOT.war"
      if [ -n "$extra" ]; then
        apilink_config "$base/apilink.json" "$port" "$extra"
        start_tomcat "$name" "$base" "$flags" APILINK_CONFIG="$base/apilink.json"
      else # the sample WAR's own apilink.json, configured from the environment
        start_tomcat "$name" "$base" "$flags" APILINK_SITE_ORIGIN="http://127.0.0.1:$port" \
          APIM_GATEWAY_URL="$BACKEND" APIM_SUBSCRIPTION_KEY=bench-subscription-key
      fi
      ;;
    *jetty-apilink | stream-jetty)
      jetty_base "$base"
      cp "$APILINK_WAR" "$base/webapps/ROOT.war"
      local props=""
      [ -n "$threads" ] && props="jetty.threadPool.maxThreads=$threads"
      if [ -n "$extra" ]; then
        apilink_config "$base/apilink.json" "$port" "$extra"
        start_jetty "$name" "$base" "$port" "$flags" "$props" APILINK_CONFIG="$base/apilink.json"
      else
        start_jetty "$name" "$base" "$port" "$flags" "$props" APILINK_SITE_ORIGIN="http://127.0.0.1:$port" \
          APIM_GATEWAY_URL="$BACKEND" APIM_SUBSCRIPTION_KEY=bench-subscription-key
      fi
      ;;
    *tomcat-jetty-proxy | *tomcat-mitre)
      tomcat_base "$base" "$port" "$threads"
      peer_webapp "$([[ $name == *mitre ]] && echo mitre || echo jetty-proxy)" "$base/webapps"
      start_tomcat "$name" "$base" "$flags"
      ;;
    *) die "no configuration $name" ;;
  esac
}

await_config() { # name: until /api/1k answers 200 with the right length
  local name=$1 url="http://127.0.0.1:${PORT[$1]}/api/1k"
  wait_for "$url" 120 || die "$name did not start: see $TMP/$name/console.log and logs/"
  local size
  size=$(curl -s -o /dev/null -w '%{size_download}' "$url")
  [ "$size" = 1024 ] || die "$name answered $size bytes for /api/1k, not 1024"
}

# ---- 4. load ----

# One wrk run; appends "round,config,body,connections,rps,p50_ms,p99_ms,non2xx,socket_errors".
measure() { # round config body connections seconds
  local round=$1 config=$2 body=$3 connections=$4 seconds=$5
  local out=$TMP/wrk/$config-$body-c$connections-r$round.txt
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:${PORT[$config]}/api/$body" >"$out" 2>&1 || true
  awk -v r="$round" -v c="$config" -v b="$body" -v n="$connections" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v
    }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
    END {
      if (rps == "") { rps = 0; p50 = 0; p99 = 0 }
      printf "%s,%s,%s,%s,%.0f,%.3f,%.3f,%d,%d\n", r, c, b, n, rps, p50, p99, non2xx, errors
    }' "$out" | tee -a "$CSV" | awk -F, '{ printf "    %-20s %5s x%-4s %8s req/s  p50 %7.2f ms  p99 %8.2f ms%s\n",
      $2, $3, $4, $5, $6, $7, ($8 + $9 > 0 ? "  non-2xx " $8 ", socket errors " $9 : "") }' >&2
}

warm_up() {
  log "warm-up (excluded)"
  local config body connections
  for config in $CONFIGS; do
    # Quick: only the JVMs need warming, and most where the most requests go (1 KiB).
    [ "$MODE" = quick ] && [[ $config != *-* ]] && continue
    [ "$MODE" != quick ] && [[ $config == *-* ]] && warm_until_steady "$config"
    for body in $BODIES; do
      for connections in $CONNECTIONS; do
        [ "$MODE" = quick ] && [ "$connections" != 32 ] && continue
        local seconds=$WARMUP
        [ "$MODE" = quick ] && [ "$body" = 1k ] && seconds=$((WARMUP * 2))
        wrk -t2 -c"$connections" -d"${seconds}s" "http://127.0.0.1:${PORT[$config]}/api/$body" >/dev/null 2>&1 || true
      done
    done
  done
}

# A JVM under this load takes a minute or two to compile its hot paths (seen here: container CPU per
# request falling from 1.2 ms to 0.14 ms over the first two minutes), far longer than a fixed
# warm-up of seconds. 1 KiB x 32 in 10 s steps until two steps in a row agree within 10 %
# (at least 40 s, at most WARMUP_MAX s); what it took goes into the report.
warm_until_steady() { # config
  local config=$1 started=$SECONDS before=0 now=0 steady=0
  if [ "$WARMUP_MAX" -eq 0 ]; then # --quick (--compare's): one short run, steadiness not checked
    wrk -t2 -c32 -d"${WARMUP}s" "http://127.0.0.1:${PORT[$config]}/api/1k" >/dev/null 2>&1 || true
    fact "warmup_$config" "$WARMUP s (--quick: not checked for steadiness)"
    log "  $config warmed for $WARMUP s"
    return 0
  fi
  while [ $((SECONDS - started)) -lt "$WARMUP_MAX" ]; do
    now=$(wrk -t2 -c32 -d10s "http://127.0.0.1:${PORT[$config]}/api/1k" 2>/dev/null | awk '/^Requests\/sec/ { printf "%.0f", $2 }')
    now=${now:-0}
    if [ $((SECONDS - started)) -ge 40 ] && [ "$before" -gt 0 ] &&
      [ $((now * 10)) -ge $((before * 9)) ] && [ $((now * 10)) -le $((before * 11)) ]; then
      steady=1
      break
    fi
    before=$now
  done
  fact "warmup_$config" "$((SECONDS - started)) s$([ $steady = 1 ] && echo ", steady at $now req/s" || echo ", not steady (last $before -> $now req/s)")"
  log "  $config warm after $((SECONDS - started)) s ($now req/s)"
}

rounds() {
  echo "round,config,body,connections,rps,p50_ms,p99_ms,non2xx,socket_errors" >"$CSV"
  mkdir -p "$TMP/wrk"
  local round body connections config order i configs
  read -ra configs <<<"$CONFIGS"
  for round in $(seq 1 "$ROUNDS"); do
    log "round $round of $ROUNDS: wrk -t2, ${DURATION} s per run"
    for body in $BODIES; do
      for connections in $CONNECTIONS; do
        # Each round starts the order at another configuration, so drift and position hit all alike.
        for i in "${!configs[@]}"; do
          config=${configs[$(((i + round - 1) % ${#configs[@]}))]}
          measure "$round" "$config" "$body" "$connections" "$DURATION"
        done
      done
    done
  done
}

# ---- 5. the runs that are about ApiLink alone ----

check_headers() {
  local answer
  answer=$(curl -s "http://127.0.0.1:${PORT[tomcat-apilink]}/api/headers")
  echo "$answer" | grep -q '^key=bench-subscription-key$' || die "ApiLink did not send the key: $answer"
  echo "$answer" | grep -q '^authorization=Bearer ey' || die "ApiLink did not send a token: $answer"
  fact headers_check 'Checked before the runs: a request through Tomcat + ApiLink reaches the backend with `Ocp-Apim-Subscription-Key` and `Authorization: Bearer <JWT>` (the token-cost run below counts the bearer token on every request it sends)'
}

token_cost() {
  log "token cost: $TOKEN_REQUESTS requests through Tomcat + ApiLink, distinct tokens at the gateway"
  : >"$TMP/tokens.log"
  cat >"$TMP/stop-after.lua" <<'EOF'
-- Each wrk thread stops after its share of the requests.
local answered, limit = 0, 0
function init(args) limit = tonumber(args[1]) end
function response(status, headers, body)
  answered = answered + 1
  if answered >= limit then wrk.thread:stop() end
end
EOF
  # wrk runs for its whole duration even when the script has stopped its threads: size the
  # duration from the throughput just measured, and top up if it fell short.
  local rps start end logged remaining seconds tries=0
  rps=$(awk -F, '$2 == "tomcat-apilink" && $3 == "1k" && $4 == 32 { print $5 }' "$CSV" | sort -n | head -1)
  [ -n "$rps" ] && [ "$rps" -gt 100 ] || rps=1000
  start=$(date +%s.%N)
  while :; do
    logged=$(wc -l <"$TMP/tokens.log")
    remaining=$((TOKEN_REQUESTS - logged))
    [ "$remaining" -gt 0 ] && [ "$tries" -lt 5 ] || break
    seconds=$((remaining * 12 / 10 / rps + 1))
    wrk -t2 -c32 -d"${seconds}s" -s "$TMP/stop-after.lua" "http://127.0.0.1:${PORT[tomcat-apilink]}/api/tok/1k" \
      -- $(((remaining + 1) / 2)) >>"$TMP/wrk/token.txt" 2>&1 || true
    sleep 0.5
    tries=$((tries + 1))
  done
  end=$(date +%s.%N)
  sleep 1 # nginx writes its log as requests end
  fact token_requests "$(wc -l <"$TMP/tokens.log")"
  fact token_distinct "$(sort -u "$TMP/tokens.log" | wc -l)"
  fact token_bearer "$(grep -c '^Bearer ey' "$TMP/tokens.log" || true)"
  fact token_seconds "$(elapsed "$start" "$end")"
  fact token_uptime "$(($(date +%s) - CONTAINERS_STARTED_AT))"
}

profile() {
  local pid=${PIDS[tomcat-apilink]} jfr=$TMP/apilink-tomcat.jfr
  log "profile: JFR on Tomcat + ApiLink under wrk -c32, 1 KiB, ${PROFILE_SECONDS} s"
  # Starting JFR the first time costs the JVM seconds of reduced speed (seen here: a tenth of the
  # throughput while recording); a throw-away recording under load first, so the real one sees none.
  jcmd "$pid" JFR.start name=settle settings=profile >/dev/null
  wrk -t2 -c32 -d"$((PROFILE_SECONDS / 2))s" "http://127.0.0.1:${PORT[tomcat-apilink]}/api/1k" >/dev/null 2>&1 || true
  jcmd "$pid" JFR.stop name=settle >/dev/null
  jcmd "$pid" JFR.start name=bench settings=profile >/dev/null
  wrk -t2 -c32 -d"${PROFILE_SECONDS}s" --latency "http://127.0.0.1:${PORT[tomcat-apilink]}/api/1k" >"$TMP/wrk/profile.txt" 2>&1 || true
  jcmd "$pid" JFR.stop name=bench filename="$jfr" >/dev/null
  java "$BENCH/tools/JfrSummary.java" "$jfr" >"$TMP/profile.md" 2>"$TMP/profile.err" || die "JfrSummary failed: $(cat "$TMP/profile.err")"
  fact profile_rps "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$TMP/wrk/profile.txt")"
}

streaming() { # kind (tomcat|jetty)
  local kind=$1 name=stream-$1 big=$TMP/www/api/big.bin
  log "streaming: $STREAM_MIB MiB up and down through $kind + ApiLink, $STREAM_JVM_FLAGS"
  start_config "$name" "$STREAM_JVM_FLAGS" "" ', "timeoutSeconds": 0, "maxRequestBodyBytes": 0'
  await_config "$name"
  local pid=${PIDS[$name]} url="http://127.0.0.1:${PORT[$name]}/api" t0 t1 answer got
  fact "${kind}_stream_rss_started_kb" "$(vm "$pid" VmHWM)"
  t0=$(date +%s.%N)
  answer=$(curl -sS -H 'Expect:' -H 'Content-Type: application/octet-stream' -T "$big" -X POST "$url/sink" || true)
  t1=$(date +%s.%N)
  fact "${kind}_stream_up_seconds" "$(elapsed "$t0" "$t1")"
  fact "${kind}_stream_up_received" "${answer:-nothing}"
  [ "$answer" = "$BIG_SHA $((STREAM_MIB * 1024 * 1024))" ] && fact "${kind}_stream_up_ok" yes || fact "${kind}_stream_up_ok" no
  t0=$(date +%s.%N)
  got=$(curl -sS "$url/big.bin" | sha256sum | cut -d' ' -f1 || true)
  t1=$(date +%s.%N)
  fact "${kind}_stream_down_seconds" "$(elapsed "$t0" "$t1")"
  [ "$got" = "$BIG_SHA" ] && fact "${kind}_stream_down_ok" yes || fact "${kind}_stream_down_ok" no
  if kill -0 "$pid" 2>/dev/null; then
    fact "${kind}_stream_rss_peak_kb" "$(vm "$pid" VmHWM)"
  else
    fact "${kind}_stream_rss_peak_kb" "(the container died)"
  fi
  fact "${kind}_stream_oom" "$(grep -rl OutOfMemoryError "$TMP/$name" 2>/dev/null | wc -l)"
  stop "$name"
}

burst() { # configuration (direct, tomcat-apilink, jetty-apilink, tomcat-jetty-proxy, tomcat-mitre)
  local config=$1 name=burst-$1 port pid
  if [ "$config" = direct ]; then
    log "concurrency: $BURST_REQUESTS requests at once, backend answers after 2 s, the client straight to the backend"
    port=${PORT[direct]} pid=${PIDS[nginx-backend]}
  else
    log "concurrency: $BURST_REQUESTS requests at once, backend answers after 2 s, $config with $BURST_THREADS request threads"
    local extra=""
    [[ $config == *apilink ]] && extra=', "maxConnections": 4096'
    start_config "$name" "$JVM_FLAGS" "$BURST_THREADS" "$extra"
    await_config "$name"
    port=${PORT[$name]} pid=${PIDS[$name]}
  fi
  java "$BENCH/tools/Burst.java" "http://127.0.0.1:$port/api/1k" "http://127.0.0.1:$port/api/slow" \
    "$BURST_REQUESTS" "$pid" >"$TMP/$name.txt" 2>&1 || die "the burst client failed: $(tail -5 "$TMP/$name.txt")"
  local key value
  while IFS='=' read -r key value; do
    fact "burst_${config}_$key" "$value"
  done <"$TMP/$name.txt"
  stop "$name"
}

# Tomcat + ApiLink with each of several builds of the sample WAR, side by side: for an optimisation's
# before and after. Interleaved 1 KiB x 32 runs (COMPARE_BODY=256k for the other body); the container's CPU time per request comes from
# /proc/<pid>/stat, which depends less than req/s on what else the machine is doing.
compare() {
  local i war name pid round out u0 u1 requests allocated
  for i in "${!COMPARE_WARS[@]}"; do
    name=cmp$i-tomcat-apilink
    PORT[$name]=$((P + 20 + i))
    APILINK_WAR=${COMPARE_WARS[$i]} start_config "$name" "$JVM_FLAGS"
  done
  for i in "${!COMPARE_WARS[@]}"; do await_config "cmp$i-tomcat-apilink"; done
  for i in "${!COMPARE_WARS[@]}"; do
    name=cmp$i-tomcat-apilink
    warm_until_steady "$name"
    [ "${COMPARE_BODY:-1k}" = 1k ] ||
      wrk -t2 -c32 -d"$((WARMUP * 3))s" "http://127.0.0.1:${PORT[$name]}/api/$COMPARE_BODY" >/dev/null 2>&1
    # The first JFR recording slows the JVM for seconds (see profile()); each round below records
    # allocation, so a throw-away recording under load first keeps that out of round 1.
    jcmd "${PIDS[$name]}" JFR.start name=settle settings="$BENCH/tools/allocation.jfc" >/dev/null
    wrk -t2 -c32 -d"$((DURATION))s" "http://127.0.0.1:${PORT[$name]}/api/${COMPARE_BODY:-1k}" >/dev/null 2>&1 || true
    jcmd "${PIDS[$name]}" JFR.stop name=settle >/dev/null
  done
  for round in $(seq 1 $((ROUNDS * 2))); do
    for i in "${!COMPARE_WARS[@]}"; do
      name=cmp$i-tomcat-apilink
      pid=${PIDS[$name]}
      # The JFR recording only reads the threads' allocation counters at its start and end.
      jcmd "$pid" JFR.start name=alloc settings="$BENCH/tools/allocation.jfc" >/dev/null
      u0=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")
      out=$(wrk -t2 -c32 -d"$((DURATION * 2))s" --latency "http://127.0.0.1:${PORT[$name]}/api/${COMPARE_BODY:-1k}")
      u1=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")
      jcmd "$pid" JFR.stop name=alloc filename="$TMP/alloc.jfr" >/dev/null
      requests=$(echo "$out" | awk '/requests in/ { print $1 }')
      allocated=$(java "$BENCH/tools/JfrSummary.java" --allocated "$TMP/alloc.jfr")
      echo "$out" | awk -v w="$(basename "${COMPARE_WARS[$i]}")" -v r="$round" -v cpu="$(((u1 - u0) * 1000000 / $(getconf CLK_TCK) / requests))" \
        -v alloc="$((allocated / requests))" \
        '/^Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = $2 } END { printf "  round %d  %-28s %8.0f req/s  p99 %8s  container CPU %4d us/request  allocated %6d bytes/request\n", r, w, rps, p99, cpu, alloc }'
    done
  done
  log "load average now $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Replaces what stands between the README's bench markers with this run's summary.
readme() { # snippet
  local file=$ROOT/README.md
  grep -q '^<!-- bench:start -->$' "$file" && grep -q '^<!-- bench:end -->$' "$file" ||
    die "README.md has no <!-- bench:start --> / <!-- bench:end --> lines"
  awk -v snippet="$1" '
    /^<!-- bench:start -->$/ { print; while ((getline line < snippet) > 0) print line; skip = 1; next }
    /^<!-- bench:end -->$/ { skip = 0 }
    !skip' "$file" >"$file.new" && mv "$file.new" "$file"
  log "README.md: the Benchmarks section now quotes $NAME.md"
}

# ---- the run ----

main() {
  rm -rf "$TMP"
  mkdir -p "$TMP" "$RESULTS"
  : >"$FACTS"
  log "ApiLink benchmark, $MODE mode; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if awk '{ exit !($1 > 1.5) }' /proc/loadavg; then
    log "WARNING: the load average is over 1.5 before the run: numbers will be disturbed"
  fi
  install_tools
  build
  machine_facts
  watch_others "$TMP/others-cpu"

  local port name
  for name in "${!PORT[@]}"; do
    port=${PORT[$name]}
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port ($name) is taken; set BENCH_PORT_BASE to move all ports"
    fi
  done

  write_backend
  write_nginx_proxy
  if [ "$MODE" = compare ]; then
    [ ${#COMPARE_WARS[@]} -ge 1 ] || die "--compare needs WAR files"
    start_nginx nginx-backend
    wait_for "http://127.0.0.1:${PORT[direct]}/api/1k" 20 || die "the nginx backend did not start"
    compare
    exit 0
  fi
  start_bg hashsink "$TMP/hashsink.log" java "$BENCH/tools/HashSink.java" "${PORT[hashsink]}"
  start_nginx nginx-backend
  start_nginx nginx-proxy
  log "starting Tomcat + ApiLink, Jetty + ApiLink, Tomcat + Jetty's proxy, Tomcat + mitre's proxy"
  CONTAINERS_STARTED_AT=$(date +%s)
  for name in tomcat-apilink jetty-apilink tomcat-jetty-proxy tomcat-mitre; do
    start_config "$name" "$JVM_FLAGS"
  done
  wait_for "http://127.0.0.1:${PORT[direct]}/api/1k" 20 || die "the nginx backend did not start"
  wait_for "http://127.0.0.1:${PORT[nginx]}/api/1k" 20 || die "the nginx proxy did not start"
  for name in tomcat-apilink jetty-apilink tomcat-jetty-proxy tomcat-mitre; do
    await_config "$name"
  done
  check_headers
  if [ "$MODE" = serve ]; then
    local pid
    for name in $CONFIGS; do
      case $name in direct) pid=${PIDS[nginx-backend]} ;; nginx) pid=${PIDS[nginx-proxy]} ;; *) pid=${PIDS[$name]} ;; esac
      printf '  %-20s http://127.0.0.1:%s/api/1k  (pid %s)\n' "$name" "${PORT[$name]}" "$pid" >&2
    done
    log "serving until Ctrl-C"
    sleep 86400 &
    PIDS[sleep]=$!
    wait "${PIDS[sleep]}" || true
    exit 0
  fi

  warm_up
  rounds
  token_cost
  [ "$PROFILE" = 1 ] && profile
  fact load_after_throughput "$(cut -d' ' -f1-3 /proc/loadavg)"
  fact others_cpu_throughput_seconds "$(cat "$TMP/others-cpu")"
  fact throughput_seconds "$(($(date +%s) - CONTAINERS_STARTED_AT))"
  for name in tomcat-apilink jetty-apilink tomcat-jetty-proxy tomcat-mitre nginx-proxy; do
    stop "$name"
  done

  log "writing a $STREAM_MIB MiB random file for the streaming runs"
  head -c $((STREAM_MIB * 1024 * 1024)) /dev/urandom >"$TMP/www/api/big.bin"
  BIG_SHA=$(sha256sum "$TMP/www/api/big.bin" | cut -d' ' -f1)
  fact stream_mib "$STREAM_MIB"
  wait_for "http://127.0.0.1:${PORT[hashsink]}/" 20 || die "HashSink did not start"
  for name in $STREAM_CONTAINERS; do
    streaming "$name"
  done
  rm -f "$TMP/www/api/big.bin"

  fact burst_requests "$BURST_REQUESTS"
  fact burst_threads "$BURST_THREADS"
  fact burst_configs "$BURST_CONFIGS"
  for name in $BURST_CONFIGS; do
    burst "$name"
  done

  fact load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
  fact others_cpu_seconds "$(cat "$TMP/others-cpu")"
  fact run_seconds "$(($(date +%s) - STARTED_AT))"
  log "writing the report"
  java "$BENCH/tools/Report.java" "$CSV" "$FACTS" "$TMP/profile.md" "$RESULTS/$NAME.md" "$TMP/chart" \
    "$NAME.png" "$BENCH/profile-notes.md" >"$TMP/summary.txt" || die "the report tool failed"
  gnuplot -e "data='$TMP/chart'; out='$RESULTS/$NAME.png'; heading='ApiLink benchmark $NAME ($MODE mode)'" \
    "$BENCH/chart.gp" || die "gnuplot failed"
  mv "$RESULTS/$NAME.readme.md" "$TMP/readme.md"
  cat "$TMP/summary.txt"
  if [ "$MODE" = full ] || [ "$README" = 1 ]; then
    readme "$TMP/readme.md"
  fi
  log "done in $(($(date +%s) - STARTED_AT)) s: $RESULTS/$NAME.md, $RESULTS/$NAME.png"
}

main
