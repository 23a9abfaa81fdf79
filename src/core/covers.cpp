#include "core/covers.hpp"

#include <algorithm>
#include <utility>

namespace av3 {

int CoversLedger::peak_covers(const Interval& during) const {
    // Sweep over the starts and ends of the overlapping parties, clipped to `during`;
    // an end sorts before a start at the same instant (half-open intervals).
    std::vector<std::pair<Micros, int>> edges;
    for (const Seated& s : seated_) {
        if (!s.during.overlaps(during)) {
            continue;
        }
        edges.emplace_back(std::max(s.during.lower, during.lower), s.party_size);
        edges.emplace_back(std::min(s.during.upper, during.upper), -s.party_size);
    }
    std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first : a.second < b.second;
    });
    int current = 0;
    int peak = 0;
    for (const auto& [at, delta] : edges) {
        current += delta;
        peak = std::max(peak, current);
    }
    return peak;
}

bool CoversLedger::admits(const Interval& during, int party_size) const {
    return limit_ <= 0 || peak_covers(during) + party_size <= limit_;
}

}  // namespace av3
