// Event retention (assignment_v3.event_retention): events, their rollups and shadow plans older
// than the retention are deleted in small batches, each in its own short transaction, so that
// retention never holds locks or bloats a transaction. Worker 0 runs it between batches;
// purge_old_events() runs one batch from SQL.
#pragma once

#include "core/types.hpp"

namespace av3::pg {

constexpr int kRetentionBatch = 10000;

struct PurgeResult {
    std::int64_t events = 0;  // events deleted
    bool more = false;        // a full batch was deleted: there may be more to delete
};

// Deletes one batch of what is older than the retention (nothing when it is 0). Runs inside
// the caller's transaction, with SPI connected.
PurgeResult purge_expired(int batch);

// How often worker 0 looks for expired events: a tenth of the retention, between 1 s and 60 s.
Micros retention_interval();

}  // namespace av3::pg
