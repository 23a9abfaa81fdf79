#!/usr/bin/env bash
# Writes the figures of a benchmark run (key<TAB>value lines) into docs/BENCHMARKS.md, between
# the "figures" markers; the text around them (analysis, history) is kept.
set -euo pipefail
results=$1 doc=$2
v() { awk -F'\t' -v k="$1" '$1 == k {print $2}' "$results"; }
ratio() { echo "scale=2; $1 / $2" | bc -l | sed 's/^\./0./'; }
mark() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "met"; else echo "**not met**"; fi; }

ceiling=$(v ceiling_rows_per_s)
p1=$(v v3_p1_bookings_per_s); p2=$(v v3_p2_bookings_per_s); p4=$(v v3_p4_bookings_per_s)
legacy=$(v legacy_p2_bookings_per_s)
figures=$(mktemp)
{
    echo "<!-- figures:start (written by scripts/bench; edit the text outside the markers) -->"
    grep -E '^(# |machine|postgres|assignment_v3)' "$(dirname "$doc")/bench/latest.log" | sed 's/^# /Run: /; s/$/  /'
    echo
    echo "| # | measure | figure | aim | |"
    echo "|---|---|---|---|---|"
    echo "| 1 | bare claim ceiling: SKIP LOCKED claim-and-update, 2 clients, 200 rows per transaction (no other write) | $ceiling rows/s | | |"
    for p in 1 2 4; do
        b=$(v "v3_p${p}_bookings_per_s")
        [ -n "$b" ] || continue
        echo "| 2 | V3 drains 100,000 bookings in $(v v3_p${p}_first_decision_s) s, max_parallel = $p | $b bookings/s, $(v v3_p${p}_cpu_s_per_1000) CPU s per 1,000 | | |"
    done
    sw=$(v same_writes_bookings_per_s); paired=$(v v3_p2_paired_bookings_per_s)
    # Each run's rate, in run order: "a, b, c".
    runs_of() { local i out=""; for i in $(seq 1 "$(v "${1}_runs")"); do out="$out, $(v "${1}_run${i}_bookings_per_s")"; done; echo "${out#, }"; }
    echo "| 8 | same-writes ceiling: V3's rows written by the fastest client SQL (prepared, 200 per transaction, 2 connections; $(v same_writes_runs) replays: $(runs_of same_writes)) | $sw bookings/s, $(v same_writes_cpu_s_per_1000) CPU s per 1,000 | | |"
    echo "| 8 | V3, max_parallel = 2, a drain after each replay ($(runs_of v3_p2_paired)) | $paired bookings/s, $(v v3_p2_paired_cpu_s_per_1000) CPU s per 1,000 | | |"
    echo "| 8 | V3 (max_parallel = 2) against the same-writes ceiling | $(ratio "$paired" "$sw") x the throughput (each pair: $(v same_writes_pair_ratios | sed 's/ / x, /g') x), $(ratio "$(v v3_p2_paired_cpu_s_per_1000)" "$(v same_writes_cpu_s_per_1000)") of its CPU per booking | >= 1.5 x | $(mark "$paired * 2 >= $sw * 3") |"
    quiet=$(v v3_p2_quiet_bookings_per_s)
    echo "| 2 | V3, max_parallel = 2, \`assignment_v3.notify = off\` | $quiet bookings/s, $(v v3_p2_quiet_cpu_s_per_1000) CPU s per 1,000 (NOTIFY on: $(ratio "$p2" "$quiet") x of this) | | |"
    echo "| 3 | legacy planner drains the same backlog, max_parallel = 2 | $legacy bookings/s; V3 is $(ratio "$p2" "$legacy") x | | |"
    hist=$(v history_p2_bookings_per_s)
    if [ -n "$hist" ]; then
        empty=$(v history_empty_p2_bookings_per_s)
        echo "| 9 | V3 drains the backlog with $(v history_events) events and $(v history_assignments) past assignments in the tables, max_parallel = 2 (two drains after a warm-up drain at $(v history_p2_run0_bookings_per_s)) | $hist bookings/s, $(v history_p2_cpu_s_per_1000) CPU s per 1,000 | | |"
        echo "| 9 | the same on empty tables, two drains right after those (after a warm-up drain at $(v history_empty_p2_run0_bookings_per_s)) | $empty bookings/s, $(v history_empty_p2_cpu_s_per_1000) CPU s per 1,000 | | |"
        echo "| 9 | V3 with that history against empty tables | $(ratio "$hist" "$empty") of the empty-table rate, $(ratio "$(v history_p2_cpu_s_per_1000)" "$(v history_empty_p2_cpu_s_per_1000)") x its CPU per booking | within 20 % | $(mark "$hist * 5 >= $empty * 4") |"
    fi
    for rate in 500 2000; do
        echo "| 4 | latency insert -> confirmed at $rate bookings/s offered ($(v latency_${rate}_confirmed) confirmed) | p50 $(v latency_${rate}_p50_ms) ms, p95 $(v latency_${rate}_p95_ms) ms, p99 $(v latency_${rate}_p99_ms) ms, max $(v latency_${rate}_max_ms) ms | $([ $rate = 500 ] && echo "p50 < 5 ms, p99 < 25 ms" || echo "") | $([ $rate = 500 ] && mark "$(v latency_500_p50_ms) < 5 && $(v latency_500_p99_ms) < 25" || echo "") |"
    done
    for f in outcome_summary retry_reasons manual_review_by_restaurant confirmation_rate transition_volume pipeline_mix \
             error_rate manual_review_reasons latency shadow_agreement status; do
        ms=$(v "stat_${f}_ms")
        echo "| 5 | \`$f()\` on $(v events) events (default window) | $ms ms | < 100 ms | $(mark "$ms < 100") |"
    done
    for f in rollout_gate rollout_verdict; do
        ms=$(v "stat_${f}_ms")
        echo "| 5 | \`$f()\` on $(v events) events (48 hours) | $ms ms | < 500 ms | $(mark "$ms < 500") |"
    done
    awk -F'\t' '$1 ~ /^fit_/ {print}' "$results" | while IFS=$'\t' read -r key value; do
        name=${key#fit_}; unit=${name##*_}; name=${name%_*}
        us=$(if [ "$unit" = ns ]; then echo "scale=3; $value / 1000" | bc -l; else echo "$value"; fi)
        case "$name" in
            *Build*) echo "| 6 | \`$name\`: inventory build, 200 tables | ${value} ${unit} | | |" ;;
            *) echo "| 6 | \`$name\`: one fit, 200 tables, combinations of up to 3 | ${value} ${unit} | < 20 us | $(mark "$us < 20") |" ;;
        esac
    done
    awk -F'\t' '$1 ~ /^worker_.*_rss_kb$/ {print}' "$results" | while IFS=$'\t' read -r key value; do
        pid=${key#worker_}; pid=${pid%_rss_kb}
        private=$(v "worker_${pid}_private_kb")
        echo "| 7 | worker $pid after the drain: private memory (resident, with the shared buffers it mapped) | $((private / 1024)) MB ($((value / 1024)) MB) | < 32 MB | $(mark "$private < 32768") |"
    done
    if grep -q '^profile' "$results"; then
        echo
        echo "Where a V3 batch spends its time (section 10, pg_stat_statements: execution and planning, per batch of 200):"
        echo
        echo "| statement | calls | ms per batch | us per booking |"
        echo "|---|---|---|---|"
        awk -F'\t' '$1 == "profile" {print $2}' "$results" | while IFS='|' read -r query calls ms us; do
            echo "| \`${query}\` | $calls | $ms | $us |"
        done
    fi
    echo "<!-- figures:end -->"
} >"$figures"

if [ -f "$doc" ] && grep -q 'figures:start' "$doc"; then
    awk -v f="$figures" '/figures:start/ {while ((getline line < f) > 0) print line; skip = 1; next}
                         /figures:end/ {skip = 0; next} !skip {print}' "$doc" >"$doc.new"
    mv "$doc.new" "$doc"
else
    { echo "# Benchmarks"; echo; cat "$figures"; } >"$doc"
fi
rm -f "$figures"
