#include "pg/row_trigger.hpp"

#include "pg/error_boundary.hpp"

#include <memory>
#include <string>

namespace av3::pg {

TriggerData* row_trigger_data(FunctionCallInfo fcinfo, const char* name, TriggerTiming timing) {
    if (!CALLED_AS_TRIGGER(fcinfo)) {
        throw UserError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                        std::string(name) + "() must be called as a trigger");
    }
    auto* trigger = reinterpret_cast<TriggerData*>(fcinfo->context);
    const bool before = timing == TriggerTiming::Before;
    const TriggerEvent event = trigger->tg_event;
    const bool fired_when_declared =
        before ? TRIGGER_FIRED_BEFORE(event) : TRIGGER_FIRED_AFTER(event);
    if (!fired_when_declared || !TRIGGER_FIRED_FOR_ROW(event) ||
        !(TRIGGER_FIRED_BY_INSERT(event) || TRIGGER_FIRED_BY_UPDATE(event))) {
        throw UserError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                        std::string(name) + "() must be a " + (before ? "BEFORE" : "AFTER") +
                            " INSERT OR UPDATE ... FOR EACH ROW trigger");
    }
    return trigger;
}

int column_number(TupleDesc desc, const char* table, const char* column) {
    const int n = SPI_fnumber(desc, column);
    if (n <= 0) {
        throw UserError(ERRCODE_UNDEFINED_COLUMN, std::string(table) + " has no column " + column);
    }
    return n;
}

void RowEdit::set(int column, Datum value, bool is_null) {
    columns_.push_back(column);
    values_.push_back(value);
    nulls_.push_back(is_null);
}

HeapTuple RowEdit::apply(HeapTuple tuple, TupleDesc desc) {
    // std::vector<bool> has no bool* to hand over.
    std::unique_ptr<bool[]> nulls(new bool[nulls_.size()]);
    for (std::size_t i = 0; i < nulls_.size(); ++i) {
        nulls[i] = nulls_[i];
    }
    bool* raw_nulls = nulls.get();
    return pg_call([&] {
        return heap_modify_tuple_by_cols(tuple, desc, static_cast<int>(columns_.size()),
                                         columns_.data(), values_.data(), raw_nulls);
    });
}

}  // namespace av3::pg
