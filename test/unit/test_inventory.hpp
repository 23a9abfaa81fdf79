// Helpers to describe small restaurants in unit tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/inventory.hpp"

namespace av3::testing {

inline TableInfo table(int number, int capacity, std::string zone = "main", int min_party = 1) {
    TableInfo t;
    t.id = Uuid::from_number(static_cast<std::uint64_t>(number));
    t.label = "T" + std::to_string(number);
    t.capacity = capacity;
    t.min_party = min_party;
    t.zone = std::move(zone);
    return t;
}

inline std::pair<Uuid, Uuid> edge(int a, int b) {
    return {Uuid::from_number(static_cast<std::uint64_t>(a)),
            Uuid::from_number(static_cast<std::uint64_t>(b))};
}

}  // namespace av3::testing
