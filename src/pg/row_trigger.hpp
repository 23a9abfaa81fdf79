// What the extension's row triggers share: the trigger-protocol check, column numbers by name,
// and edits of the new row version. Each trigger reads its row through Row (spi.hpp).
#pragma once

#include "pg/postgres.hpp"

#include <vector>

namespace av3::pg {

enum class TriggerTiming { Before, After };

// The trigger data of a FOR EACH ROW trigger fired at `timing` by an INSERT or an UPDATE (what
// every row trigger of the extension is declared for); a UserError naming `name` when the
// function was called otherwise (by hand, or from a trigger declared differently).
TriggerData* row_trigger_data(FunctionCallInfo fcinfo, const char* name, TriggerTiming timing);

// The attribute number of `column` in `table`'s row descriptor; a UserError when it has none.
int column_number(TupleDesc desc, const char* table, const char* column);

// Replaces columns of a row version: what a BEFORE trigger returns in its place.
class RowEdit {
public:
    void set(int column, Datum value, bool is_null = false);
    HeapTuple apply(HeapTuple tuple, TupleDesc desc);

private:
    std::vector<int> columns_;
    std::vector<Datum> values_;
    std::vector<bool> nulls_;
};

}  // namespace av3::pg
