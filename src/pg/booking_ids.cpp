// assignment_v3.uuid_v7(): time-ordered booking ids for applications that choose them
// (core/uuid_v7.hpp says why and how).
#include "core/uuid_v7.hpp"
#include "pg/error_boundary.hpp"
#include "pg/postgres.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

constexpr std::int64_t kUnixEpochInPostgresMicros =
    static_cast<std::int64_t>(UNIX_EPOCH_JDATE - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;

Datum uuid_v7_at(TimestampTz at) {
    std::array<std::uint8_t, 8> random{};
    const bool drawn = pg_call([&] { return pg_strong_random(random.data(), random.size()); });
    if (!drawn) {
        throw UserError(ERRCODE_INTERNAL_ERROR, "could not generate random values for a uuid");
    }
    const std::optional<Uuid> id =
        TIMESTAMP_NOT_FINITE(at) ? std::nullopt : uuid_v7(at - kUnixEpochInPostgresMicros, random);
    if (!id) {
        throw UserError(
            ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
            "time \"" + timestamptz_text(at) + "\" is out of range for a version 7 uuid",
            "A version 7 uuid holds the milliseconds since 1970-01-01 00:00 UTC in 48 bits: times "
            "from then to the year 10889.",
            "Pass a time in that range, or no time for the current one.");
    }
    return uuid_datum(*id);
}

}  // namespace

}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_uuid_v7);
PGDLLEXPORT Datum av3_uuid_v7(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        // uuid_v7() is the clock's time now (not the transaction's), kept increasing within the
        // session: the ids of one statement's rows keep their order too. uuid_v7(at) is the
        // given time's, as given.
        if (PG_NARGS() == 0) {
            static av3::MonotonicMicros session_clock;  // (trivially destructible)
            const TimestampTz now = session_clock.next(GetCurrentTimestamp());
            return av3::pg::uuid_v7_at(now);
        }
        return av3::pg::uuid_v7_at(PG_GETARG_TIMESTAMPTZ(0));
    });
}

}  // extern "C"
