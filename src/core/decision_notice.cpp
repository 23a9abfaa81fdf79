#include "core/decision_notice.hpp"

#include "core/event_context.hpp"

namespace av3 {

namespace {

constexpr std::size_t kMaxReasonBytes = 1000;

void append_field(std::string& out, std::string_view key, std::string_view text) {
    out += ',';
    append_json_string(out, key);
    out += ':';
    append_json_string(out, text);
}

}  // namespace

std::string render_decision_notice(const DecisionNotice& notice) {
    std::string out = "{\"booking_id\":";
    append_json_string(out, notice.booking_id.to_string());
    append_field(out, "restaurant_id", notice.restaurant_id.to_string());
    append_field(out, "state", notice.state);
    append_field(out, "status", notice.status);
    out += ",\"version\":" + std::to_string(notice.version);
    append_field(out, "pipeline", notice.pipeline);
    if (!notice.reason.empty()) {
        // Reasons are short codes; an error message can be long, and the event keeps it whole.
        append_field(out, "reason", shortened(notice.reason, kMaxReasonBytes));
    }
    out += ",\"tables\":[";
    bool truncated = false;
    for (std::size_t i = 0; i < notice.tables.size(); ++i) {
        // 36 characters, two quotes, a comma; and the closing text below.
        if (out.size() + 40 + 32 > kDecisionPayloadMaxBytes) {
            truncated = true;
            break;
        }
        if (i > 0) {
            out += ',';
        }
        append_json_string(out, notice.tables[i].to_string());
    }
    out += ']';
    if (truncated) {
        out += ",\"tables_truncated\":true";
    }
    out += '}';
    return out;
}

}  // namespace av3
