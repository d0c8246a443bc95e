#!/usr/bin/env bash
# Screenshots of the real program on the lab: tmux captures with colours,
# rendered to PNG by freeze (installed on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v freeze >/dev/null || PATH="$PATH:$(go env GOPATH)/bin"
command -v freeze >/dev/null || go install github.com/charmbracelet/freeze@v0.2.2
# freeze's own PNG path crashes under Go 1.26 (its wasm rasteriser); its SVG
# is fine, and rsvg-convert rasterises it.
command -v rsvg-convert >/dev/null && fc-list | grep -q "DejaVu Sans Mono" ||
	{ apt-get update -qq && apt-get install -y -qq librsvg2-bin fonts-dejavu-core >/dev/null; }

dir=$(mktemp -d)
sock=cutover-shots-$$
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
	[ -n "${lab:-}" ] && kill "$lab" 2>/dev/null && wait "$lab" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

./cutover lab serve --dir "$dir/lab" --keys 50000 >"$dir/serve.out" 2>"$dir/serve.err" &
lab=$!
for _ in $(seq 1 120); do grep -q '^lab ready' "$dir/serve.out" 2>/dev/null && break; sleep 0.25; done
grep -q '^lab ready' "$dir/serve.out" || { cat "$dir/serve.err"; exit 1; }

shot() { # name: capture the pane and render it
	tmux -L "$sock" capture-pane -e -p -t shots |
		sed -E 's/\x1b\[(39|49)m/\x1b[0m/g' >"$dir/$1.ansi"
	freeze --language ansi --window --font.family "DejaVu Sans Mono" -o "$dir/$1.svg" "$dir/$1.ansi" >/dev/null
	rsvg-convert --zoom 1.5 -o "screenshots/$1.png" "$dir/$1.svg"
	echo "screenshots/$1.png"
}
keys() { tmux -L "$sock" send-keys -t shots "$@"; sleep 0.2; }

tmux -L "$sock" -f /dev/null new-session -d -s shots -x 120 -y 40 \
	"CUTOVER_OPERATOR=alice TERM=xterm-256color ./cutover tui --config $dir/lab/cutover.yaml"
tmux -L "$sock" set -g escape-time 10
sleep 6 # a few polls, so the sparklines have data
shot dashboard

# Run build.reachable from the keyboard (the 11th step), then open the
# confirm dialog of build.dns (the 27th).
for _ in $(seq 1 10); do keys j; done
keys Enter
sleep 2
shot check
for _ in $(seq 1 16); do keys j; done
keys Enter
sleep 2
keys c a c h e
shot confirm
keys Escape
keys q
sleep 1
tmux -L "$sock" kill-session -t shots 2>/dev/null || true

# The failover drill: swap the CNAME from the command line first (the
# drill runs after verify.connect), then run the drill from the console.
cfg="$dir/lab/cutover.yaml"
run() { CUTOVER_OPERATOR=alice ./cutover run --config "$cfg" "$@" >/dev/null; }
run migrate.strategy --choice rdb --reason "screenshots"
run build.dns --yes
run migrate.parity --skip --reason "screenshots: no data moved"
run cutover.gonogo --yes --second bob
run cutover.cname --yes --second bob
run verify.connect
. "$dir/lab/lab.env"
tmux -L "$sock" -f /dev/null new-session -d -s shots -x 120 -y 40 \
	"CUTOVER_OPERATOR=alice TERM=xterm-256color ./cutover tui --config $cfg"
sleep 3
keys G k k k Enter # verify.failover
sleep 1
keys Enter # mode: kill
keys -l "$TARGET_PRIMARY_ADDR"
keys Enter
keys -l bob
keys Enter
sleep 3.5
shot drill
sleep 14
shot drill-result
keys q

sleep 1
tmux -L "$sock" kill-session -t shots 2>/dev/null || true
kill "$lab" 2>/dev/null && wait "$lab" 2>/dev/null || true

# The cluster lab: the target pane is the cluster's, the second shard in
# focus.
./cutover lab serve --cluster --dir "$dir/cluster" --keys 50000 >"$dir/cserve.out" 2>"$dir/cserve.err" &
lab=$!
for _ in $(seq 1 120); do grep -q '^lab ready' "$dir/cserve.out" 2>/dev/null && break; sleep 0.25; done
grep -q '^lab ready' "$dir/cserve.out" || { cat "$dir/cserve.err"; exit 1; }
tmux -L "$sock" -f /dev/null new-session -d -s shots -x 160 -y 48 \
	"CUTOVER_OPERATOR=alice TERM=xterm-256color ./cutover tui --config $dir/cluster/cutover.yaml"
sleep 6
keys ]
sleep 1.5
shot cluster
keys q
