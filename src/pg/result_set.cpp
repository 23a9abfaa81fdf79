#include "pg/result_set.hpp"

namespace av3::pg {

ResultSet::ResultSet(FunctionCallInfo fcinfo) {
    info_ = pg_call([&] {
        InitMaterializedSRF(fcinfo, 0);
        return reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    });
}

void ResultSet::add(const std::vector<Param>& values) {
    const int n = static_cast<int>(values.size());
    if (n != info_->setDesc->natts) {
        // The SQL declaration and the library disagree: an upgrade was installed without
        // ALTER EXTENSION ... UPDATE, or the other way round.
        throw UserError(
            ERRCODE_DATATYPE_MISMATCH,
            "assignment_v3 function returns " + std::to_string(n) +
                " columns, its SQL declaration " + std::to_string(info_->setDesc->natts),
            {},
            "Run ALTER EXTENSION assignment_v3 UPDATE, or install the matching library version.");
    }
    std::unique_ptr<Datum[]> datums(new Datum[std::max(n, 1)]);
    std::unique_ptr<bool[]> nulls(new bool[std::max(n, 1)]);
    for (int i = 0; i < n; ++i) {
        datums[i] = values[i].value;
        nulls[i] = values[i].is_null;
    }
    Datum* d = datums.get();
    bool* isnull = nulls.get();
    pg_call([&] { tuplestore_putvalues(info_->setResult, info_->setDesc, d, isnull); });
}

Uuid uuid_argument(FunctionCallInfo fcinfo, int index, const char* name) {
    if (PG_ARGISNULL(index)) {
        throw UserError(ERRCODE_NULL_VALUE_NOT_ALLOWED, std::string(name) + " must not be NULL");
    }
    return uuid_from_datum(PG_GETARG_DATUM(index));
}

}  // namespace av3::pg
