#!/usr/bin/env bash
# Measures what the HLS copy path costs on one NRS node: CPU seconds per stream-minute and
# memory per stream, for N concurrent ffmpeg publishers (-re -c copy) of a pre-encoded clip.
#
#   bench/measure-copy-path.sh [N=1] [SECONDS=60] [CLIP=bench/work/clip1080.flv]
#
# The node runs from modules/api/target (build it first: mvn -B -DskipTests package). The clip
# is made once (1080p30 H.264 CBR 4.5 Mbps + AAC 160 kbps, 2 s GOP) if missing. Prints one line
# per figure; the node's idle CPU over the same time is measured first and subtracted.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1}
secs=${2:-60}
work="$root/bench/work"
clip=${3:-$work/clip1080.flv}
mkdir -p "$work"
if [ ! -f "$clip" ]; then
  echo "making $clip (60 s of 1080p30, takes a minute)..." >&2
  ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 60 \
    -c:v libx264 -preset veryfast -b:v 4500k -minrate 4500k -maxrate 4500k -bufsize 9000k \
    -x264-params nal-hrd=cbr -g 60 -keyint_min 60 -sc_threshold 0 -bf 2 \
    -c:a aac -b:a 160k -ac 2 -f flv "$clip"
fi

data=$(mktemp -d "$work/data.XXXX")
http=$((18000 + RANDOM % 1000)); rtmp=$((19000 + RANDOM % 1000)); cluster=$((26000 + RANDOM % 1000))
NRS_DATA_DIR="$data" NRS_HTTP_PORT=$http NRS_RTMP_PORT=$rtmp NRS_CLUSTER_PORT=$cluster \
  NRS_ADMIN_TOKEN=bench NRS_JAVA_OPTS="${NRS_JAVA_OPTS:--Xms256m -Xmx1g}" \
  "$root/bin/nrs-streaming" > "$data/node.log" 2>&1 &
launcher=$!
cleanup() { pkill -P $$ ffmpeg 2>/dev/null || true; kill "$launcher" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null && break; sleep 0.5; done
pid=$(pgrep -f "nrs-node.jar" -n)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
heap_used_kb() { jcmd "$pid" GC.heap_info 2>/dev/null | awk '/used/ {for (i=1;i<=NF;i++) if ($i=="used") {gsub("K","",$(i+1)); print $(i+1); exit}}'; }
create() {
  curl -sf -H "Authorization: Bearer bench" -H 'Content-Type: application/json' \
    -d '{"creatorId":"bench","creatorType":"DJ","title":"bench"}' "http://127.0.0.1:$http/api/v1/streams" |
    sed 's/.*"streamKey":"\([^"]*\)".*/\1/'
}

# Warm up the JIT with as many publishers, as long, as the measurement, then settle.
wkeys=(); for _ in $(seq 1 "$n"); do wkeys+=("$(create)"); done
for k in "${wkeys[@]}"; do ffmpeg -v error -re -t "$secs" -i "$clip" -c copy -f flv "rtmp://127.0.0.1:$rtmp/live/$k" & done; wait $(jobs -p | grep -v "^$launcher$") 2>/dev/null || true
sleep 3
jcmd "$pid" GC.run >/dev/null
sleep 1
rss0=$(rss_kb); heap0=$(heap_used_kb)
t0=$(cpu_ticks); sleep "$secs"; idle=$(( $(cpu_ticks) - t0 ))

keys=(); for _ in $(seq 1 "$n"); do keys+=("$(create)"); done
t0=$(cpu_ticks)
for k in "${keys[@]}"; do
  ffmpeg -v error -re -t "$secs" -i "$clip" -c copy -f flv "rtmp://127.0.0.1:$rtmp/live/$k" &
done
sleep $((secs / 2))
jcmd "$pid" GC.run >/dev/null
rss1=$(rss_kb); heap1=$(heap_used_kb)
wait $(jobs -p | grep -v "^$launcher$") 2>/dev/null || true
busy=$(( $(cpu_ticks) - t0 ))

awk -v b="$busy" -v i="$idle" -v hz="$hz" -v n="$n" -v s="$secs" 'BEGIN {
  printf "streams=%d seconds=%d\n", n, s
  printf "cpu_seconds_busy=%.2f cpu_seconds_idle_same_time=%.2f\n", b/hz, i/hz
  printf "cpu_seconds_per_stream_minute=%.3f\n", (b-i)/hz/n/(s/60) }'
awk -v r0="$rss0" -v r1="$rss1" -v h0="$heap0" -v h1="$heap1" -v n="$n" 'BEGIN {
  printf "rss_mb_base=%.1f rss_mb_live=%.1f rss_mb_per_stream=%.2f\n", r0/1024, r1/1024, (r1-r0)/1024/n
  printf "heap_mb_after_gc_base=%.1f heap_mb_after_gc_live=%.1f heap_mb_per_stream=%.2f\n", h0/1024, h1/1024, (h1-h0)/1024/n }'
