// Google Benchmark: the fit algorithm alone on a 200-table restaurant with combinations of up
// to 3 adjacent tables (issue 5, item 6). Run by scripts/bench; figures in docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>

#include <random>

#include "core/optimal_fit.hpp"

namespace {

using namespace av3;

// 200 tables in 4 zones of 50, laid out in rows of 10: each table touches its right-hand and
// front neighbours, as in a dining room where tables are pushed together along rows.
Inventory make_restaurant() {
    std::vector<TableInfo> tables;
    std::vector<std::pair<Uuid, Uuid>> adjacency;
    const int capacities[] = {2, 2, 4, 4, 4, 6, 2, 4, 8, 4};
    for (int i = 0; i < 200; ++i) {
        TableInfo t;
        t.id = Uuid::from_number(static_cast<std::uint64_t>(i + 1));
        t.label = "T" + std::to_string(i + 1);
        t.capacity = capacities[i % 10];
        t.zone = "zone" + std::to_string(i / 50);
        tables.push_back(t);
        const int in_zone = i % 50;
        if (in_zone % 10 != 9) {
            adjacency.emplace_back(t.id, Uuid::from_number(static_cast<std::uint64_t>(i + 2)));
        }
        if (in_zone + 10 < 50) {
            adjacency.emplace_back(t.id, Uuid::from_number(static_cast<std::uint64_t>(i + 11)));
        }
    }
    return Inventory::build(tables, adjacency, 3);
}

// An evening already two-thirds booked: every table has a few seatings of 90-120 minutes.
Schedule make_evening(const Inventory& inventory, std::mt19937& rng) {
    Schedule schedule(inventory);
    for (std::size_t t = 0; t < inventory.tables().size(); ++t) {
        Micros at = 17 * 60 + static_cast<Micros>(rng() % 60);
        while (at < 22 * 60) {
            if (rng() % 3 != 0) {
                schedule.reserve(static_cast<int>(t),
                                 Interval{at * kMicrosPerMinute, (at + 105) * kMicrosPerMinute});
            }
            at += 120;
        }
    }
    return schedule;
}

void BM_OptimalFit200Tables(benchmark::State& state) {
    Inventory inventory = make_restaurant();
    std::mt19937 rng(7);
    Schedule schedule = make_evening(inventory, rng);
    std::vector<FitRequest> requests(1024);
    for (FitRequest& r : requests) {
        r.party_size = 1 + static_cast<int>(rng() % static_cast<unsigned>(state.range(0)));
        Micros start = (17 * 60 + static_cast<Micros>(rng() % 300)) * kMicrosPerMinute;
        r.during = Interval{start, start + 120 * kMicrosPerMinute};
    }
    std::size_t i = 0;
    for (auto _ : state) {
        FitResult fit = optimal_fit(inventory, schedule, requests[i++ & 1023]);
        benchmark::DoNotOptimize(fit);
    }
    state.counters["options"] =
        static_cast<double>(inventory.singles().size() + inventory.combinations().size());
}
BENCHMARK(BM_OptimalFit200Tables)->Arg(8)->Arg(16)->Arg(24);

void BM_BuildInventory200Tables(benchmark::State& state) {
    for (auto _ : state) {
        Inventory inventory = make_restaurant();
        benchmark::DoNotOptimize(inventory);
    }
}
BENCHMARK(BM_BuildInventory200Tables)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
