// A thin layer over SPI: statements prepared once per backend and kept (SPI_keepplan), and
// conversions between Datums and the core's types. Every function that can raise a Postgres
// error goes through pg_call(), so callers may own C++ objects.
#pragma once

#include "core/types.hpp"
#include "pg/error_boundary.hpp"
#include "pg/postgres.hpp"

namespace av3::pg {

// Conversions that cannot fail.
inline Uuid uuid_from_datum(Datum datum) {
    Uuid id;
    memcpy(id.bytes.data(), DatumGetUUIDP(datum)->data, UUID_LEN);
    return id;
}
inline pg_uuid_t to_pg_uuid(const Uuid& id) {
    pg_uuid_t out;
    memcpy(out.data, id.bytes.data(), UUID_LEN);
    return out;
}
inline Uuid from_pg_uuid(const pg_uuid_t& id) {
    Uuid out;
    memcpy(out.bytes.data(), id.data, UUID_LEN);
    return out;
}

// A parameter or column value as the core sees it.
struct Param {
    Datum value = 0;
    bool is_null = true;
};

// Builders for parameters, allocated in the current memory context (guarded: safe anywhere).
Datum uuid_datum(const Uuid& id);
Datum text_datum(std::string_view text);
Datum uuid_array_datum(const std::vector<Uuid>& ids);
Datum text_array_datum(const std::vector<std::string>& values,
                       const std::vector<bool>* nulls = nullptr);
Datum int4_array_datum(const std::vector<int>& values);
Datum int8_array_datum(const std::vector<std::int64_t>& values);
Datum float8_array_datum(const std::vector<double>& values,
                         const std::vector<bool>* nulls = nullptr);
// A uuid[] with NULLs where nulls[i].
Datum uuid_array_datum(const std::vector<Uuid>& ids, const std::vector<bool>& nulls);
Datum timestamptz_array_datum(const std::vector<Micros>& values,
                              const std::vector<bool>* nulls = nullptr);

// A timestamptz as Postgres prints it (DateStyle and TimeZone of the session), for messages.
std::string timestamptz_text(Micros at);

// One row of the last SPI result.
class Row {
public:
    Row(HeapTuple tuple, TupleDesc desc) : tuple_(tuple), desc_(desc) {}
    bool is_null(int column) const;
    Uuid uuid(int column) const;
    int int4(int column) const;
    std::int64_t int8(int column) const;
    Micros timestamptz(int column) const;  // also for timestamp columns
    bool boolean(int column) const;
    std::string text(int column) const;  // empty for NULL
    std::vector<Uuid> uuid_array(int column) const;
    Datum datum(int column) const;  // the value as stored, (Datum) 0 for NULL

private:
    Datum value(int column, bool* is_null) const;
    HeapTuple tuple_;
    TupleDesc desc_;
};

// The rows of the last SPI statement, valid until the next one.
class Rows {
public:
    Rows() = default;
    Rows(SPITupleTable* table, std::uint64_t count) : table_(table), count_(count) {}
    std::uint64_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    Row operator[](std::uint64_t i) const { return Row(table_->vals[i], table_->tupdesc); }

private:
    SPITupleTable* table_ = nullptr;
    std::uint64_t count_ = 0;
};

// How a statement is planned. A kept statement's plan may become generic: planned once, for
// any parameter values, with the table sizes of that moment. For a statement whose best plan
// depends on how large a table is (the claim: an index scan on a queue of a million bookings,
// a sequential scan on an empty one) that plan would outlive the sizes it was made for:
// PlanEachTime plans at each execution, with the relation's current size (Postgres reads it
// from the relation, not from statistics), which costs a planning per execution and can never
// pick a plan for a table that is no longer there.
enum class Planning { Cached, PlanEachTime };

// A statement prepared on first use and kept for the life of the backend.
class Statement {
public:
    Statement(const char* sql, std::vector<Oid> arg_types, Planning planning = Planning::Cached)
        : sql_(sql), arg_types_(std::move(arg_types)), planning_(planning) {}

    // Runs the statement; the returned rows stay valid until the next SPI call.
    Rows run(const std::vector<Param>& params, bool read_only = false, long row_limit = 0);
    // Runs a read-only statement over every row committed by now, whatever the transaction's
    // snapshot (as a foreign key's check does in REPEATABLE READ): for checks that must see
    // what concurrent transactions have committed since this one began.
    Rows run_latest_committed(const std::vector<Param>& params, long row_limit = 0);
    static constexpr int kMaxParams = 16;

private:
    void prepare();
    Rows execute(Datum* values, char* nulls, bool read_only, long row_limit, bool latest);
    Rows run_with(const std::vector<Param>& params, bool read_only, long row_limit, bool latest);

    const char* sql_;
    std::vector<Oid> arg_types_;
    Planning planning_;
    SPIPlanPtr plan_ = nullptr;
};

// SPI_connect/SPI_finish for the life of the object. Only for entry points that run inside a
// transaction; SPI_finish runs on success only (on error, transaction abort cleans up).
class SpiConnection {
public:
    SpiConnection();
    ~SpiConnection();
    void finish();
    SpiConnection(const SpiConnection&) = delete;
    SpiConnection& operator=(const SpiConnection&) = delete;

private:
    bool connected_ = false;
};

// A statement run once, not prepared: for the queries of a trigger over its transition tables
// (register_transition_tables() first), which a kept plan cannot name.
Rows run_query(const char* sql);
void register_transition_tables(FunctionCallInfo fcinfo);

Micros now_micros();

}  // namespace av3::pg
