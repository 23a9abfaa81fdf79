// The payload of the NOTIFY that announces a decided booking on channel assignment_v3
// (docs/architecture.md, "Announcing decisions"). Applications LISTEN instead of polling: the
// payload says what was decided, the booking row says everything else.
//
// A compact JSON object, always under Postgres' 8000-byte payload limit:
//   {"booking_id":"…","restaurant_id":"…","state":"confirmed","status":"confirmed",
//    "version":3,"pipeline":"v3","tables":["…"],"reason":"…"}
// "reason" is present when the decision has one (manual review, cancellation). A booking
// seated at more tables than fit is announced with the first ones and "tables_truncated":
// true; the booking's assignments hold the rest.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"

namespace av3 {

constexpr std::string_view kDecisionChannel = "assignment_v3";
// Below NOTIFY's 8000-byte limit, with room for a long reason.
constexpr std::size_t kDecisionPayloadMaxBytes = 7000;

struct DecisionNotice {
    Uuid booking_id;
    Uuid restaurant_id;
    std::string_view state;
    std::string_view status;
    int version = 0;
    std::string_view pipeline;
    std::vector<Uuid> tables;
    std::string_view reason;  // empty: none
};

std::string render_decision_notice(const DecisionNotice& notice);

}  // namespace av3
