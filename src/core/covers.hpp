// The capacity check that precedes a fit: with restaurants.max_covers_per_slot set, the
// number of guests seated at any instant of a booking must stay within the limit.
#pragma once

#include <vector>

#include "core/schedule.hpp"

namespace av3 {

class CoversLedger {
public:
    // limit <= 0 means unlimited.
    explicit CoversLedger(int limit) : limit_(limit) {}

    void add(const Interval& seated, int party_size) { seated_.push_back({seated, party_size}); }

    // The peak number of guests seated at any instant of `during`, before adding this party.
    int peak_covers(const Interval& during) const;
    // True when the party can be seated without exceeding the limit at any instant.
    bool admits(const Interval& during, int party_size) const;
    int limit() const { return limit_; }

private:
    struct Seated {
        Interval during;
        int party_size;
    };
    int limit_;
    std::vector<Seated> seated_;
};

}  // namespace av3
