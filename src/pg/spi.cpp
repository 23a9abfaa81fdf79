#include "pg/spi.hpp"

namespace av3::pg {

static Datum uuid_datum_unguarded(const Uuid& id) {
    auto* out = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
    memcpy(out->data, id.bytes.data(), UUID_LEN);
    return UUIDPGetDatum(out);
}

static Datum text_datum_unguarded(std::string_view text) {
    return PointerGetDatum(cstring_to_text_with_len(text.data(), static_cast<int>(text.size())));
}

static Datum uuid_array_datum_unguarded(const std::vector<Uuid>& ids) {
    const int n = static_cast<int>(ids.size());
    auto* storage = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t) * std::max(n, 1)));
    auto* elems = static_cast<Datum*>(palloc(sizeof(Datum) * std::max(n, 1)));
    for (int i = 0; i < n; ++i) {
        memcpy(storage[i].data, ids[i].bytes.data(), UUID_LEN);
        elems[i] = UUIDPGetDatum(&storage[i]);
    }
    return PointerGetDatum(construct_array(elems, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
}

static Datum text_array_datum_unguarded(const std::vector<std::string>& values,
                                        const std::vector<bool>* nulls) {
    const int n = static_cast<int>(values.size());
    auto* elems = static_cast<Datum*>(palloc(sizeof(Datum) * std::max(n, 1)));
    auto* elem_nulls = static_cast<bool*>(palloc(sizeof(bool) * std::max(n, 1)));
    for (int i = 0; i < n; ++i) {
        elem_nulls[i] = nulls != nullptr && (*nulls)[i];
        elems[i] = elem_nulls[i] ? 0 : text_datum_unguarded(values[i]);
    }
    int dims[1] = {n};
    int lbs[1] = {1};
    if (n == 0) {
        return PointerGetDatum(construct_empty_array(TEXTOID));
    }
    return PointerGetDatum(
        construct_md_array(elems, elem_nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum int4_array_datum_unguarded(const std::vector<int>& values) {
    const int n = static_cast<int>(values.size());
    auto* elems = static_cast<Datum*>(palloc(sizeof(Datum) * std::max(n, 1)));
    for (int i = 0; i < n; ++i) {
        elems[i] = Int32GetDatum(values[i]);
    }
    return PointerGetDatum(construct_array_builtin(elems, n, INT4OID));
}

static Datum timestamptz_array_datum_unguarded(const std::vector<Micros>& values,
                                               const std::vector<bool>* nulls) {
    const int n = static_cast<int>(values.size());
    if (n == 0) {
        return PointerGetDatum(construct_empty_array(TIMESTAMPTZOID));
    }
    auto* elems = static_cast<Datum*>(palloc(sizeof(Datum) * n));
    auto* elem_nulls = static_cast<bool*>(palloc(sizeof(bool) * n));
    for (int i = 0; i < n; ++i) {
        elem_nulls[i] = nulls != nullptr && (*nulls)[i];
        elems[i] = TimestampTzGetDatum(values[i]);
    }
    int dims[1] = {n};
    int lbs[1] = {1};
    return PointerGetDatum(construct_md_array(elems, elem_nulls, 1, dims, lbs, TIMESTAMPTZOID,
                                              sizeof(TimestampTz), true, TYPALIGN_DOUBLE));
}

// A one-dimensional array of a fixed-size, pass-by-value type (int8, float8), with NULLs.
static Datum by_value_array_unguarded(const std::vector<Datum>& elems,
                                      const std::vector<bool>* nulls, Oid type) {
    const int n = static_cast<int>(elems.size());
    if (n == 0) {
        return PointerGetDatum(construct_empty_array(type));
    }
    auto* values = static_cast<Datum*>(palloc(sizeof(Datum) * n));
    auto* elem_nulls = static_cast<bool*>(palloc(sizeof(bool) * n));
    for (int i = 0; i < n; ++i) {
        values[i] = elems[i];
        elem_nulls[i] = nulls != nullptr && (*nulls)[i];
    }
    int dims[1] = {n};
    int lbs[1] = {1};
    return PointerGetDatum(
        construct_md_array(values, elem_nulls, 1, dims, lbs, type, 8, true, TYPALIGN_DOUBLE));
}

static Datum uuid_array_with_nulls_unguarded(const std::vector<Uuid>& ids,
                                             const std::vector<bool>& nulls) {
    const int n = static_cast<int>(ids.size());
    if (n == 0) {
        return PointerGetDatum(construct_empty_array(UUIDOID));
    }
    auto* storage = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t) * n));
    auto* elems = static_cast<Datum*>(palloc(sizeof(Datum) * n));
    auto* elem_nulls = static_cast<bool*>(palloc(sizeof(bool) * n));
    for (int i = 0; i < n; ++i) {
        elem_nulls[i] = nulls[i];
        memcpy(storage[i].data, ids[i].bytes.data(), UUID_LEN);
        elems[i] = nulls[i] ? 0 : UUIDPGetDatum(&storage[i]);
    }
    int dims[1] = {n};
    int lbs[1] = {1};
    return PointerGetDatum(construct_md_array(elems, elem_nulls, 1, dims, lbs, UUIDOID, UUID_LEN,
                                              false, TYPALIGN_CHAR));
}

Datum int8_array_datum(const std::vector<std::int64_t>& values) {
    std::vector<Datum> elems;
    elems.reserve(values.size());
    for (std::int64_t v : values) {
        elems.push_back(Int64GetDatum(v));
    }
    return pg_call([&] { return by_value_array_unguarded(elems, nullptr, INT8OID); });
}

Datum float8_array_datum(const std::vector<double>& values, const std::vector<bool>* nulls) {
    std::vector<Datum> elems;
    elems.reserve(values.size());
    for (double v : values) {
        elems.push_back(Float8GetDatum(v));
    }
    return pg_call([&] { return by_value_array_unguarded(elems, nulls, FLOAT8OID); });
}

Datum uuid_array_datum(const std::vector<Uuid>& ids, const std::vector<bool>& nulls) {
    return pg_call([&] { return uuid_array_with_nulls_unguarded(ids, nulls); });
}

Datum uuid_datum(const Uuid& id) {
    return pg_call([&] { return uuid_datum_unguarded(id); });
}
Datum text_datum(std::string_view text) {
    return pg_call([&] { return text_datum_unguarded(text); });
}

std::string timestamptz_text(Micros at) {
    const char* text = pg_call([&] { return timestamptz_to_str(at); });
    return text;  // a static buffer of Postgres: copied before the next call
}

Datum uuid_array_datum(const std::vector<Uuid>& ids) {
    return pg_call([&] { return uuid_array_datum_unguarded(ids); });
}
Datum text_array_datum(const std::vector<std::string>& values, const std::vector<bool>* nulls) {
    return pg_call([&] { return text_array_datum_unguarded(values, nulls); });
}
Datum int4_array_datum(const std::vector<int>& values) {
    return pg_call([&] { return int4_array_datum_unguarded(values); });
}
Datum timestamptz_array_datum(const std::vector<Micros>& values, const std::vector<bool>* nulls) {
    return pg_call([&] { return timestamptz_array_datum_unguarded(values, nulls); });
}

Datum Row::value(int column, bool* is_null) const {
    return SPI_getbinval(tuple_, desc_, column, is_null);
}

Datum Row::datum(int column) const {
    bool null = false;
    const Datum d = value(column, &null);
    return null ? Datum(0) : d;
}

bool Row::is_null(int column) const {
    bool null = false;
    value(column, &null);
    return null;
}

Uuid Row::uuid(int column) const {
    bool null = false;
    Datum d = value(column, &null);
    return null ? Uuid{} : uuid_from_datum(d);
}

int Row::int4(int column) const {
    bool null = false;
    Datum d = value(column, &null);
    return null ? 0 : DatumGetInt32(d);
}

std::int64_t Row::int8(int column) const {
    bool null = false;
    Datum d = value(column, &null);
    return null ? 0 : DatumGetInt64(d);
}

Micros Row::timestamptz(int column) const {
    bool null = false;
    Datum d = value(column, &null);
    return null ? 0 : DatumGetTimestampTz(d);
}

bool Row::boolean(int column) const {
    bool null = false;
    Datum d = value(column, &null);
    return !null && DatumGetBool(d);
}

std::string Row::text(int column) const {
    bool null = false;
    Datum d = value(column, &null);
    if (null) {
        return {};
    }
    // Detoasting may allocate (and fail): guarded, and copied out as plain bytes.
    struct Span {
        const char* data;
        int length;
    };
    Span span = pg_call([&] {
        auto* t = reinterpret_cast<::text*>(
            pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(d))));
        return Span{VARDATA_ANY(t), static_cast<int>(VARSIZE_ANY_EXHDR(t))};
    });
    return std::string(span.data, static_cast<std::size_t>(span.length));
}

std::vector<Uuid> Row::uuid_array(int column) const {
    bool null = false;
    Datum d = value(column, &null);
    std::vector<Uuid> out;
    if (null) {
        return out;
    }
    struct Elements {
        Datum* values;
        bool* nulls;
        int count;
    };
    Elements elements = pg_call([&] {
        Elements e{nullptr, nullptr, 0};
        deconstruct_array(DatumGetArrayTypeP(d), UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &e.values,
                          &e.nulls, &e.count);
        return e;
    });
    for (int i = 0; i < elements.count; ++i) {
        if (!elements.nulls[i]) {
            out.push_back(uuid_from_datum(elements.values[i]));
        }
    }
    return out;
}

void Statement::prepare() {
    if (plan_ != nullptr) {
        return;
    }
    plan_ = pg_call([&] {
        const int options = planning_ == Planning::PlanEachTime ? CURSOR_OPT_CUSTOM_PLAN : 0;
        SPIPlanPtr plan = SPI_prepare_cursor(sql_, static_cast<int>(arg_types_.size()),
                                             arg_types_.data(), options);
        if (plan == nullptr) {
            elog(ERROR, "assignment_v3: SPI_prepare failed (%s) for: %s",
                 SPI_result_code_string(SPI_result), sql_);
        }
        if (SPI_keepplan(plan) != 0) {
            elog(ERROR, "assignment_v3: SPI_keepplan failed");
        }
        return plan;
    });
}

Rows Statement::execute(Datum* values, char* nulls, bool read_only, long row_limit, bool latest) {
    const int rc = latest ? SPI_execute_snapshot(plan_, values, nulls, GetLatestSnapshot(),
                                                 InvalidSnapshot, true, false, row_limit)
                          : SPI_execute_plan(plan_, values, nulls, read_only, row_limit);
    if (rc < 0) {
        elog(ERROR, "assignment_v3: SPI_execute_plan failed (%s) for: %s",
             SPI_result_code_string(rc), sql_);
    }
    return Rows(SPI_tuptable, SPI_processed);
}

Rows Statement::run(const std::vector<Param>& params, bool read_only, long row_limit) {
    return run_with(params, read_only, row_limit, false);
}

Rows Statement::run_latest_committed(const std::vector<Param>& params, long row_limit) {
    return run_with(params, true, row_limit, true);
}

Rows Statement::run_with(const std::vector<Param>& params, bool read_only, long row_limit,
                         bool latest) {
    prepare();
    if (params.size() != arg_types_.size() ||
        params.size() > static_cast<std::size_t>(kMaxParams)) {
        throw std::logic_error(std::string("parameter count mismatch for: ") + sql_);
    }
    Datum values[kMaxParams];
    char nulls[kMaxParams];
    for (std::size_t i = 0; i < params.size(); ++i) {
        values[i] = params[i].value;
        nulls[i] = params[i].is_null ? 'n' : ' ';
    }
    return pg_call([&] { return execute(values, nulls, read_only, row_limit, latest); });
}

SpiConnection::SpiConnection() {
    pg_call([] {
        if (SPI_connect() != SPI_OK_CONNECT) {
            elog(ERROR, "assignment_v3: SPI_connect failed");
        }
    });
    connected_ = true;
}

SpiConnection::~SpiConnection() {
    // On the error path the transaction abort releases the SPI connection; calling SPI_finish
    // while an error is being propagated is not allowed.
}

void SpiConnection::finish() {
    if (connected_) {
        connected_ = false;
        pg_call([] { SPI_finish(); });
    }
}

Rows run_query(const char* sql) {
    return pg_call([&] {
        const int rc = SPI_execute(sql, false, 0);
        if (rc < 0) {
            elog(ERROR, "assignment_v3: SPI_execute failed (%s) for: %s",
                 SPI_result_code_string(rc), sql);
        }
        return Rows(SPI_tuptable, SPI_processed);
    });
}

void register_transition_tables(FunctionCallInfo fcinfo) {
    pg_call([&] {
        if (!CALLED_AS_TRIGGER(fcinfo) || SPI_register_trigger_data(reinterpret_cast<TriggerData*>(
                                              fcinfo->context)) != SPI_OK_TD_REGISTER) {
            elog(ERROR, "assignment_v3: a trigger with transition tables was expected");
        }
    });
}

Micros now_micros() {
    return GetCurrentTimestamp();
}

}  // namespace av3::pg
