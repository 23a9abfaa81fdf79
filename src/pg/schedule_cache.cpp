#include "pg/schedule_cache.hpp"

#include <set>

#include "pg/shared_state.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_hooks.hpp"
#include "pg/transaction_staged.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "utils/lsyscache.h"
}

namespace av3::pg {

namespace {

constexpr Micros kDay = 24 * 60 * kMicrosPerMinute;
// Assignments last at most 28 hours (bookings at most 24, turn buffers at most 4: check
// constraints): a seating overlapping [lo, hi) starts in [lo - 28 hours, hi).
constexpr Micros kLongestSeating = 28 * 60 * kMicrosPerMinute;
constexpr std::size_t kMaxCachedSeats = 200000;  // about 12 MB
// A day not seen yet is read with the rest of its week (runs of this many days from Postgres'
// epoch, 2000-01-01, a Saturday): the bookings of a batch fall on scattered days, and the next
// batches at the same restaurant ask for the days around them. A statement per day or two
// read was the costliest of a batch (docs/BENCHMARKS.md); a week of one restaurant's seatings
// is a few hundred rows.
constexpr std::int64_t kDaysPerRead = 7;

// Floor division: days and weeks before the epoch count down from -1, not from 0.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

std::int64_t day_of(Micros at) {
    return floor_div(at, kDay);
}

// The seatings starting in whole days [from, to) of a restaurant: one range scan of
// table_assignments_restaurant_start_idx per run of days. Planned at each execution (the
// table grows from nothing, spi.hpp). OFFSET 0 keeps the range scan inside the lateral
// subquery: pulled up, the planner (which cannot see how narrow the runs are) read all of a
// restaurant's seatings once and filtered them against every run, 11 ms a call next to a
// million past seatings instead of 0.1 ms (scripts/bench, section 9).
Statement& select_days() {
    static Statement statement(
        "SELECT a.booking_id, a.table_id, pg_catalog.lower(a.during), pg_catalog.upper(a.during) "
        "FROM unnest($2::timestamptz[], $3::timestamptz[]) AS d(lo, hi) "
        "CROSS JOIN LATERAL (SELECT * FROM assignment_v3.table_assignments a "
        "                    WHERE a.restaurant_id = $1 "
        "                      AND pg_catalog.lower(a.during) >= d.lo "
        "                      AND pg_catalog.lower(a.during) < d.hi OFFSET 0) a",
        {UUIDOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID}, Planning::PlanEachTime);
    return statement;
}

// What the current transaction did to restaurants' seatings, applied at its commit.
struct ScheduleChange {
    enum Kind { Seat, Release, Everything } kind;
    Uuid restaurant_id;
    Uuid booking_id;
    std::vector<BusySeat> seats;
};
TransactionStaged<ScheduleChange> g_changes;

void on_transaction_event(XactEvent event, void* /*arg*/);
void on_subtransaction_event(SubXactEvent event, SubTransactionId, SubTransactionId, void*) {
    g_changes.on_subtransaction_event(event);
}

bool changed_everything_in_transaction() {
    bool everything = false;
    g_changes.for_each(
        [&](const ScheduleChange& c) { everything |= c.kind == ScheduleChange::Everything; });
    return everything;
}

}  // namespace

ScheduleCache& ScheduleCache::instance() {
    static ScheduleCache cache;
    return cache;
}

ScheduleCache::Entry* ScheduleCache::current_entry(const Uuid& restaurant_id) {
    auto it = entries_.find(restaurant_id);
    if (it == entries_.end()) {
        return nullptr;
    }
    const std::optional<std::uint64_t> generation = schedule_generation(restaurant_id);
    const std::optional<std::uint64_t> all = schedules_generation();
    if (!generation || *generation != it->second.generation || *all != it->second.all_generation) {
        forget(restaurant_id);
        return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return &it->second;
}

void ScheduleCache::forget(const Uuid& restaurant_id) {
    auto it = entries_.find(restaurant_id);
    if (it == entries_.end()) {
        return;
    }
    for (const auto& [day, seats] : it->second.days) {
        cached_seats_ -= seats.size();
    }
    lru_.erase(it->second.lru);
    entries_.erase(it);
}

void ScheduleCache::clear() {
    entries_.clear();
    lru_.clear();
    cached_seats_ = 0;
}

void ScheduleCache::evict() {
    while (cached_seats_ > kMaxCachedSeats && lru_.size() > 1) {
        forget(lru_.back());
    }
}

void ScheduleCache::load_days(const Uuid& restaurant_id, Entry& entry,
                              const std::vector<std::int64_t>& days) {
    // Runs of consecutive days, one range each. Read whole before anything is kept: a read
    // that fails (a statement timeout, a cancel) must not leave days that look loaded and empty.
    std::vector<Micros> from, to;
    std::map<std::int64_t, std::vector<Seat>> loaded;
    for (std::int64_t day : days) {
        if (!to.empty() && to.back() == day * kDay) {
            to.back() = (day + 1) * kDay;
        } else {
            from.push_back(day * kDay);
            to.push_back((day + 1) * kDay);
        }
        loaded.emplace(day, std::vector<Seat>{});
    }
    Rows rows = select_days().run({{uuid_datum(restaurant_id), false},
                                   {timestamptz_array_datum(from), false},
                                   {timestamptz_array_datum(to), false}});
    for (std::uint64_t i = 0; i < rows.size(); ++i) {
        const Seat seat{rows[i].uuid(1), rows[i].uuid(2),
                        Interval{rows[i].timestamptz(3), rows[i].timestamptz(4)}};
        loaded[day_of(seat.during.lower)].push_back(seat);
    }
    for (auto& [day, seats] : loaded) {
        cached_seats_ += seats.size();
        entry.days.emplace(day, std::move(seats));
    }
}

std::vector<BusySeat> ScheduleCache::busy(const Uuid& restaurant_id,
                                          const std::vector<Interval>& intervals) {
    try {
        return busy_or_throw(restaurant_id, intervals);
    } catch (...) {
        forget(restaurant_id);  // whatever the failure left half-done is not kept
        throw;
    }
}

std::vector<BusySeat> ScheduleCache::busy_or_throw(const Uuid& restaurant_id,
                                                   const std::vector<Interval>& intervals) {
    const Oid relid = pg_call([] {
        return get_relname_relid("table_assignments", get_namespace_oid("assignment_v3", false));
    });
    if (relid != assignments_relid_) {
        clear();
        assignments_relid_ = relid;
    }
    // The generations are read before the rows: a change that commits in between makes the
    // entry stale at its next use, never current with rows that miss it.
    const std::optional<std::uint64_t> generation = schedule_generation(restaurant_id);
    const std::optional<std::uint64_t> all = schedules_generation();
    if (changed_everything_in_transaction()) {
        forget(restaurant_id);
    }
    Entry* entry = current_entry(restaurant_id);
    if (entry == nullptr) {
        lru_.push_front(restaurant_id);
        Entry fresh;
        fresh.generation = generation.value_or(0);
        fresh.all_generation = all.value_or(0);
        fresh.lru = lru_.begin();
        entry = &entries_.emplace(restaurant_id, std::move(fresh)).first->second;
    }
    std::vector<std::int64_t> missing;
    for (const Interval& i : intervals) {
        // Days are loaded in whole weeks, so a week is either all there or read whole.
        const std::int64_t first = floor_div(day_of(i.lower - kLongestSeating), kDaysPerRead);
        const std::int64_t last = floor_div(day_of(i.upper - 1), kDaysPerRead);
        for (std::int64_t d = first * kDaysPerRead; d < (last + 1) * kDaysPerRead; ++d) {
            if (entry->days.count(d) == 0) {
                missing.push_back(d);
            }
        }
    }
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    if (!missing.empty()) {
        load_days(restaurant_id, *entry, missing);
    }

    std::vector<Seat> seen;
    for (const Interval& i : intervals) {
        auto it = entry->days.lower_bound(day_of(i.lower - kLongestSeating));
        for (; it != entry->days.end() && it->first <= day_of(i.upper - 1); ++it) {
            for (const Seat& seat : it->second) {
                if (seat.during.overlaps(i)) {
                    seen.push_back(seat);
                }
            }
        }
    }
    // What this transaction itself changed is not in the cache until it commits: laid over it,
    // in order (a booking freed and seated again ends seated).
    g_changes.for_each([&](const ScheduleChange& c) {
        if (c.restaurant_id != restaurant_id || c.kind == ScheduleChange::Everything) {
            return;
        }
        if (c.kind == ScheduleChange::Release) {
            seen.erase(std::remove_if(seen.begin(), seen.end(),
                                      [&](const Seat& s) { return s.booking_id == c.booking_id; }),
                       seen.end());
            return;
        }
        for (const BusySeat& seat : c.seats) {
            if (std::any_of(intervals.begin(), intervals.end(),
                            [&](const Interval& i) { return seat.during.overlaps(i); })) {
                seen.push_back(Seat{c.booking_id, seat.table_id, seat.during});
            }
        }
    });
    std::vector<BusySeat> out;
    out.reserve(seen.size());
    for (const Seat& seat : seen) {
        out.push_back(BusySeat{seat.table_id, seat.during});
    }
    bool read_over_own_changes = false;
    if (!missing.empty()) {
        g_changes.for_each([&](const ScheduleChange& c) {
            read_over_own_changes |= c.restaurant_id == restaurant_id;
        });
    }
    if (!generation || changed_everything_in_transaction() || read_over_own_changes) {
        // No shared generations (not preloaded), or this transaction changed assignments
        // behind the cache's back, or days were just read with this transaction's own
        // uncommitted changes in them (a session that cancels and then calls process_pending()
        // in one transaction; a rollback would leave them cached): read, use, keep nothing.
        // (Workers read before they write: their batches keep what they read.)
        forget(restaurant_id);
    } else {
        evict();
    }
    return out;
}

void ScheduleCache::seated_in_transaction(const Uuid& restaurant_id, const Uuid& booking_id,
                                          const std::vector<BusySeat>& seats) {
    g_changes.stage(ScheduleChange{ScheduleChange::Seat, restaurant_id, booking_id, seats});
}

void ScheduleCache::released_in_transaction(const Uuid& restaurant_id, const Uuid& booking_id) {
    g_changes.stage(ScheduleChange{ScheduleChange::Release, restaurant_id, booking_id, {}});
}

void ScheduleCache::everything_changed_in_transaction() {
    g_changes.stage(ScheduleChange{ScheduleChange::Everything, {}, {}, {}});
}

// At commit: each restaurant the transaction changed gets a new generation; this backend's
// entry follows it, with the changes applied, if nobody else moved it in between.
void ScheduleCache::apply_commit() {
    const std::vector<ScheduleChange> changes = g_changes.take();
    bool everything = false;
    std::map<Uuid, std::vector<const ScheduleChange*>> by_restaurant;
    for (const ScheduleChange& c : changes) {
        if (c.kind == ScheduleChange::Everything) {
            everything = true;
        } else {
            by_restaurant[c.restaurant_id].push_back(&c);
        }
    }
    for (const auto& [restaurant_id, list] : by_restaurant) {
        const std::optional<std::uint64_t> before = bump_schedule_generation(restaurant_id);
        auto it = entries_.find(restaurant_id);
        if (it == entries_.end()) {
            continue;
        }
        Entry& entry = it->second;
        if (!before || *before != entry.generation) {
            forget(restaurant_id);
            continue;
        }
        entry.generation = *before + 1;
        for (const ScheduleChange* c : list) {
            if (c->kind == ScheduleChange::Release) {
                for (auto& [day, seats] : entry.days) {
                    const std::size_t had = seats.size();
                    seats.erase(std::remove_if(
                                    seats.begin(), seats.end(),
                                    [&](const Seat& s) { return s.booking_id == c->booking_id; }),
                                seats.end());
                    cached_seats_ -= had - seats.size();
                }
            } else {
                for (const BusySeat& seat : c->seats) {
                    // A day not loaded yet is read from the table when it is needed.
                    auto day = entry.days.find(day_of(seat.during.lower));
                    if (day != entry.days.end()) {
                        day->second.push_back(Seat{c->booking_id, seat.table_id, seat.during});
                        ++cached_seats_;
                    }
                }
            }
        }
    }
    if (everything) {
        bump_schedules_generation();
    }
}

namespace {

void on_transaction_event(XactEvent event, void* /*arg*/) {
    switch (event) {
        case XACT_EVENT_COMMIT:
        case XACT_EVENT_PREPARE:
            // After the commit nothing may fail: a cache that cannot follow is dropped whole.
            try {
                ScheduleCache::instance().apply_commit();
                if (event == XACT_EVENT_PREPARE) {
                    // Committed later, perhaps by another backend: announced now (whoever would
                    // read the restaurant waits for its lock, which the prepared transaction
                    // holds), and nothing kept here.
                    ScheduleCache::instance().clear();
                }
            } catch (...) {
                // Nor may other backends keep what this commit changed: if the bumps were not
                // all made, every cache forgets everything (one atomic add, which cannot fail).
                ScheduleCache::instance().clear();
                bump_schedules_generation();
            }
            g_changes.clear();
            break;
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PARALLEL_ABORT:
            g_changes.clear();
            break;
        default:
            break;
    }
}

}  // namespace

void ScheduleCache::install_hooks() {
    RegisterXactCallback(on_transaction_event, nullptr);
    RegisterSubXactCallback(on_subtransaction_event, nullptr);
}

}  // namespace av3::pg

namespace av3::pg {
namespace {

// After a statement over table_assignments that the extension did not make (a superuser's
// DML, a restore's COPY, the cascade from deleted bookings, TRUNCATE): every schedule cache
// forgets everything when the transaction commits.
Datum assignments_changed(FunctionCallInfo fcinfo) {
    if (!current_internal_write().has_value()) {
        ScheduleCache::everything_changed_in_transaction();
    }
    return PointerGetDatum(nullptr);
}

}  // namespace
}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_assignments_changed);
PGDLLEXPORT Datum av3_assignments_changed(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::assignments_changed(fcinfo); });
}
}
