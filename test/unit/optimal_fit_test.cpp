#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "core/optimal_fit.hpp"
#include "test_inventory.hpp"

namespace av3 {
namespace {

using testing::edge;
using testing::table;

std::vector<std::string> labels(const Inventory& inv, const FitResult& fit) {
    std::vector<std::string> out;
    if (!fit.found()) {
        return out;
    }
    for (int i = 0; i < fit.option->table_count; ++i) {
        out.push_back(inv.tables()[fit.option->tables[i]].label);
    }
    std::sort(out.begin(), out.end());
    return out;
}

FitRequest request(int party, Micros lower, Micros upper, std::string_view zone = {}) {
    FitRequest r;
    r.party_size = party;
    r.during = Interval{lower, upper};
    r.zone_preference = zone;
    return r;
}

TEST(OptimalFit, PicksTheSmallestSingleTableThatFits) {
    Inventory inv = Inventory::build({table(1, 6), table(2, 2), table(3, 4), table(4, 4)}, {}, 3);
    Schedule schedule(inv);
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(3, 0, 100))),
              std::vector<std::string>{"T3"});
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(2, 0, 100))),
              std::vector<std::string>{"T2"});
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(5, 0, 100))),
              std::vector<std::string>{"T1"});
}

TEST(OptimalFit, SkipsBusyTablesAndRespectsHalfOpenIntervals) {
    Inventory inv = Inventory::build({table(1, 2), table(2, 4)}, {}, 1);
    Schedule schedule(inv);
    schedule.reserve(inv.index_of(Uuid::from_number(1)), Interval{0, 100});
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(2, 50, 150))),
              std::vector<std::string>{"T2"});
    // Touching intervals do not overlap: [0,100) and [100,200).
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(2, 100, 200))),
              std::vector<std::string>{"T1"});
}

TEST(OptimalFit, MinPartyKeepsSmallPartiesOffLargeTables) {
    Inventory inv = Inventory::build({table(1, 8, "main", 5), table(2, 10)}, {}, 1);
    Schedule schedule(inv);
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(4, 0, 10))),
              std::vector<std::string>{"T2"});
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(6, 0, 10))),
              std::vector<std::string>{"T1"});
}

TEST(OptimalFit, CombinesAdjacentTablesOnlyWhenNoSingleFits) {
    Inventory inv = Inventory::build({table(1, 4), table(2, 4), table(3, 2), table(4, 10)},
                                     {edge(1, 2), edge(2, 3)}, 3);
    Schedule schedule(inv);
    // A single table of 10 wins over the combination of 4+4 even though it wastes more.
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(7, 0, 10))),
              std::vector<std::string>{"T4"});
    schedule.reserve(inv.index_of(Uuid::from_number(4)), Interval{0, 10});
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(7, 0, 10))),
              (std::vector<std::string>{"T1", "T2"}));
    // 6 guests: 4+2 (T2,T3) wastes nothing, better than 4+4.
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(6, 0, 10))),
              (std::vector<std::string>{"T2", "T3"}));
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(10, 0, 10))),
              (std::vector<std::string>{"T1", "T2", "T3"}));
    EXPECT_FALSE(optimal_fit(inv, schedule, request(11, 0, 10)).found());
}

TEST(OptimalFit, CombinationsNeverCrossZonesOrExceedTheLimit) {
    Inventory inv = Inventory::build(
        {table(1, 4, "terrace"), table(2, 4, "main"), table(3, 4, "main"), table(4, 4, "main")},
        {edge(1, 2), edge(2, 3), edge(3, 4)}, 2);
    Schedule schedule(inv);
    EXPECT_EQ(inv.combinations().size(), 2u);  // T2+T3, T3+T4; T1-T2 crosses zones
    EXPECT_FALSE(optimal_fit(inv, schedule, request(9, 0, 10)).found());
    EXPECT_EQ(inv.max_capacity(), 8);
}

TEST(OptimalFit, ZonePreferenceOnlyWhenItCostsNothing) {
    Inventory inv = Inventory::build(
        {table(1, 4, "main"), table(2, 4, "terrace"), table(3, 2, "terrace")}, {}, 1);
    Schedule schedule(inv);
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(4, 0, 10, "terrace"))),
              std::vector<std::string>{"T2"});
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(4, 0, 10))),
              std::vector<std::string>{"T1"});
    // Preferring "main" for a party of 2 would waste seats: the 2-top on the terrace wins.
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(2, 0, 10, "main"))),
              std::vector<std::string>{"T3"});
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(2, 0, 10, "unknown zone"))),
              std::vector<std::string>{"T3"});
}

TEST(OptimalFit, InactiveTablesAndBadRequestsAreIgnored) {
    TableInfo off = table(1, 4);
    off.active = false;
    Inventory inv = Inventory::build({off, table(2, 6)}, {edge(1, 2)}, 3);
    Schedule schedule(inv);
    EXPECT_EQ(inv.tables().size(), 1u);
    EXPECT_EQ(inv.index_of(Uuid::from_number(1)), -1);
    EXPECT_EQ(labels(inv, optimal_fit(inv, schedule, request(4, 0, 10))),
              std::vector<std::string>{"T2"});
    EXPECT_FALSE(optimal_fit(inv, schedule, request(0, 0, 10)).found());
    EXPECT_FALSE(optimal_fit(inv, schedule, request(2, 10, 10)).found());
}

// ---- brute-force oracle on random small restaurants ----

struct Candidate {
    bool combination;
    int capacity;
    int count;
    std::vector<int> tables;  // inventory indexes, ascending
};

bool connected(const std::vector<int>& members, const std::vector<std::vector<bool>>& adjacent) {
    std::vector<int> reached{members[0]};
    std::vector<bool> seen(members.size(), false);
    seen[0] = true;
    for (std::size_t head = 0; head < reached.size(); ++head) {
        for (std::size_t j = 0; j < members.size(); ++j) {
            if (!seen[j] && adjacent[reached[head]][members[j]]) {
                seen[j] = true;
                reached.push_back(members[j]);
            }
        }
    }
    return reached.size() == members.size();
}

std::vector<Candidate> oracle_candidates(const Inventory& inv, const Schedule& schedule,
                                         const std::vector<std::vector<bool>>& adjacent,
                                         const FitRequest& req, int max_combo) {
    std::vector<Candidate> out;
    const int n = static_cast<int>(inv.tables().size());
    for (int mask = 1; mask < (1 << n); ++mask) {
        std::vector<int> members;
        for (int i = 0; i < n; ++i) {
            if (mask & (1 << i)) {
                members.push_back(i);
            }
        }
        if (static_cast<int>(members.size()) > max_combo) {
            continue;
        }
        int capacity = 0;
        int min_party = 1;
        bool ok = true;
        for (int m : members) {
            const TableInfo& t = inv.tables()[m];
            capacity += t.capacity;
            min_party = std::max(min_party, t.min_party);
            ok = ok && t.zone == inv.tables()[members[0]].zone && schedule.is_free(m, req.during);
        }
        if (!ok || capacity < req.party_size || min_party > req.party_size ||
            (members.size() > 1 && !connected(members, adjacent))) {
            continue;
        }
        out.push_back(
            Candidate{members.size() > 1, capacity, static_cast<int>(members.size()), members});
    }
    std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
        return std::tie(a.combination, a.capacity, a.count, a.tables) <
               std::tie(b.combination, b.capacity, b.count, b.tables);
    });
    return out;
}

TEST(OptimalFit, NeverOverlapsAndMatchesABruteForceOracleOnRandomRestaurants) {
    std::mt19937 rng(20261122);
    const std::vector<std::string> zones = {"main", "terrace"};
    int found = 0;
    int not_found = 0;
    for (int round = 0; round < 3000; ++round) {
        const int n = 1 + static_cast<int>(rng() % 9);
        const int max_combo = 1 + static_cast<int>(rng() % 3);
        std::vector<TableInfo> tables;
        for (int i = 1; i <= n; ++i) {
            tables.push_back(table(i, 1 + static_cast<int>(rng() % 8), zones[rng() % 2],
                                   1 + static_cast<int>(rng() % 3)));
            tables.back().min_party = std::min(tables.back().min_party, tables.back().capacity);
        }
        std::vector<std::pair<Uuid, Uuid>> edges;
        for (int i = 1; i <= n; ++i) {
            for (int j = i + 1; j <= n; ++j) {
                if (rng() % 3 == 0) {
                    edges.push_back(edge(i, j));
                }
            }
        }
        Inventory inv = Inventory::build(tables, edges, max_combo);
        std::vector<std::vector<bool>> adjacent(inv.tables().size(),
                                                std::vector<bool>(inv.tables().size()));
        for (const auto& [a, b] : edges) {
            int ia = inv.index_of(a);
            int ib = inv.index_of(b);
            if (inv.tables()[ia].zone == inv.tables()[ib].zone) {
                adjacent[ia][ib] = adjacent[ib][ia] = true;
            }
        }
        Schedule schedule(inv);
        std::vector<std::pair<int, Interval>> reserved;
        for (int k = 0; k < n * 2; ++k) {
            int idx = static_cast<int>(rng() % inv.tables().size());
            Micros lower = static_cast<Micros>(rng() % 100);
            Interval during{lower, lower + 1 + static_cast<Micros>(rng() % 40)};
            schedule.reserve(idx, during);
            reserved.emplace_back(idx, during);
        }
        Micros lower = static_cast<Micros>(rng() % 100);
        FitRequest req = request(1 + static_cast<int>(rng() % 20), lower,
                                 lower + 1 + static_cast<Micros>(rng() % 40));

        FitResult fit = optimal_fit(inv, schedule, req);
        auto oracle = oracle_candidates(inv, schedule, adjacent, req, max_combo);
        ASSERT_EQ(fit.found(), !oracle.empty()) << "round " << round;
        if (!fit.found()) {
            ++not_found;
            continue;
        }
        ++found;
        for (int i = 0; i < fit.option->table_count; ++i) {
            for (const auto& [idx, during] : reserved) {
                ASSERT_FALSE(idx == fit.option->tables[i] && during.overlaps(req.during))
                    << "round " << round;
            }
        }
        const Candidate& best = oracle.front();
        std::vector<int> chosen(fit.option->tables.begin(),
                                fit.option->tables.begin() + fit.option->table_count);
        EXPECT_EQ(fit.is_combination(), best.combination) << "round " << round;
        EXPECT_EQ(fit.option->capacity, best.capacity) << "round " << round;
        EXPECT_EQ(fit.option->table_count, best.count) << "round " << round;
        EXPECT_EQ(chosen, best.tables) << "round " << round;
    }
    // The generator must exercise both branches.
    EXPECT_GT(found, 500);
    EXPECT_GT(not_found, 100);
}

}  // namespace
}  // namespace av3
