// Rows returned by a set-returning SQL function (materialize mode), added from C++.
#pragma once

#include "pg/spi.hpp"

namespace av3::pg {

class ResultSet {
public:
    explicit ResultSet(FunctionCallInfo fcinfo);
    // One row; the values must match the function's result columns.
    void add(const std::vector<Param>& values);

private:
    ReturnSetInfo* info_;
};

// Convenience builders for result values.
inline Param null_param() {
    return Param{};
}
inline Param text_param(std::string_view text) {
    return Param{text_datum(text), false};
}
inline Param optional_text_param(std::string_view text) {
    return text.empty() ? Param{} : text_param(text);
}
inline Param int4_param(int value) {
    return Param{Int32GetDatum(value), false};
}
inline Param int8_param(std::int64_t value) {
    return Param{Int64GetDatum(value), false};
}
inline Param bool_param(bool value) {
    return Param{BoolGetDatum(value), false};
}
inline Param uuid_param(const Uuid& id) {
    return Param{uuid_datum(id), false};
}
inline Param timestamptz_param(Micros at) {
    return at == 0 ? Param{} : Param{TimestampTzGetDatum(at), false};
}
inline Param uuid_array_param(const std::vector<Uuid>& ids) {
    return Param{uuid_array_datum(ids), false};
}

// Reads a uuid argument, refusing NULL with a clear message.
Uuid uuid_argument(FunctionCallInfo fcinfo, int index, const char* name);

}  // namespace av3::pg
