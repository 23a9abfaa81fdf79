// SQL entry points that run the pipeline synchronously: process_pending() and
// assign_booking() execute exactly the code a worker runs, in the calling transaction.
#include "pg/batch.hpp"
#include "pg/extension_version.hpp"
#include "pg/result_set.hpp"
#include "pg/settings.hpp"

namespace av3::pg {

namespace {

std::optional<PipelineMode> parse_pipeline_argument(FunctionCallInfo fcinfo, int index) {
    if (PG_ARGISNULL(index)) {
        return std::nullopt;
    }
    const std::string name = pg_call([&] { return TextDatumGetCString(PG_GETARG_DATUM(index)); });
    if (name == "v3") {
        return PipelineMode::V3;
    }
    if (name == "legacy") {
        return PipelineMode::Legacy;
    }
    if (name == "shadow") {
        return PipelineMode::Shadow;
    }
    throw UserError(
        ERRCODE_INVALID_PARAMETER_VALUE, "unknown pipeline \"" + name + "\"",
        "pipeline must be 'v3', 'legacy', 'shadow' or NULL.",
        "Pass NULL to use the restaurant's rollout mode (assignment_v3.restaurant_mode()).");
}

Datum process_pending(FunctionCallInfo fcinfo) {
    const int max_bookings = PG_ARGISNULL(0) ? 1000 : PG_GETARG_INT32(0);
    if (max_bookings < 1 || max_bookings > 1000000) {
        throw UserError(
            ERRCODE_INVALID_PARAMETER_VALUE,
            "max_bookings must be between 1 and 1000000, not " + std::to_string(max_bookings));
    }
    require_writable_current_schema("process_pending");
    ResultSet out(fcinfo);
    SpiConnection spi;
    BatchResult batch = run_batch(max_bookings);
    spi.finish();
    for (const InvocationResult& r : batch.results) {
        out.add({uuid_param(r.booking_id), text_param(r.pipeline),
                 text_param(outcome_name(r.outcome)), optional_text_param(r.reason)});
    }
    return Datum(0);
}

Datum assign_booking(FunctionCallInfo fcinfo) {
    const Uuid booking_id = uuid_argument(fcinfo, 0, "booking_id");
    const std::optional<PipelineMode> forced = parse_pipeline_argument(fcinfo, 1);
    require_writable_current_schema("assign_booking");
    ResultSet out(fcinfo);
    SpiConnection spi;
    InvocationResult r = run_single(booking_id, forced);
    spi.finish();
    out.add({text_param(outcome_name(r.outcome)), optional_text_param(r.reason),
             uuid_array_param(r.tables), text_param(r.pipeline)});
    return Datum(0);
}

}  // namespace

}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_process_pending);
PGDLLEXPORT Datum av3_process_pending(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::process_pending(fcinfo); });
}

PG_FUNCTION_INFO_V1(av3_assign_booking);
PGDLLEXPORT Datum av3_assign_booking(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::assign_booking(fcinfo); });
}
}
