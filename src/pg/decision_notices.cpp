#include "pg/decision_notices.hpp"

#include "core/decision_notice.hpp"
#include "pg/error_boundary.hpp"
#include "pg/postgres.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "commands/async.h"
}

namespace av3::pg {

bool announces_decision(const BookingWrite& write, TransitionCause cause) {
    if (!write.updates_booking || cause == TransitionCause::Modification ||
        cause == TransitionCause::Cancellation) {
        return false;
    }
    return write.state == AssignmentState::Confirmed ||
           write.state == AssignmentState::ManualReview ||
           write.state == AssignmentState::Cancelled;
}

void announce_decisions(const std::vector<BookingWrite*>& writes, TransitionCause cause) {
    if (!settings::notify) {
        return;
    }
    static const std::string channel(kDecisionChannel);
    for (const BookingWrite* w : writes) {
        if (!announces_decision(*w, cause)) {
            continue;
        }
        DecisionNotice notice;
        notice.booking_id = w->booking_id;
        notice.restaurant_id = w->restaurant_id;
        notice.state = state_name(w->state);
        notice.status = status_for_state(w->state);
        notice.version = w->new_version;
        notice.pipeline = w->pipeline;
        notice.reason = w->last_reason;
        notice.tables.reserve(w->assignments.size());
        for (const AssignmentRow& a : w->assignments) {
            notice.tables.push_back(a.table_id);
        }
        const std::string payload = render_decision_notice(notice);
        pg_call([&] { Async_Notify(channel.c_str(), payload.c_str()); });
    }
}

}  // namespace av3::pg
