// Builds the `context` JSON object of an observability event, and keeps it within
// assignment_v3.max_event_context_bytes: an oversized context keeps its `reason` and its
// short fields, shortens or drops the long ones, and is flagged with "truncated": true and
// "original_bytes", so that the runbook's queries keep working on it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/types.hpp"

namespace av3 {

class EventContext {
public:
    EventContext& add(std::string_view key, std::string_view value);
    EventContext& add(std::string_view key, const char* value) {
        return add(key, std::string_view(value));
    }
    EventContext& add(std::string_view key, std::int64_t value);
    EventContext& add(std::string_view key, int value) {
        return add(key, static_cast<std::int64_t>(value));
    }
    EventContext& add(std::string_view key, double value);
    EventContext& add(std::string_view key, bool value);
    EventContext& add_null(std::string_view key);
    EventContext& add_strings(std::string_view key, const std::vector<std::string>& values);
    // An array of UUIDs in their canonical text form (table ids, mostly).
    EventContext& add_uuids(std::string_view key, const std::vector<Uuid>& ids);
    // A value that is JSON text already (an object or array built by the database); the caller
    // vouches that it is valid JSON. Oversized, it is replaced by null like any long value.
    EventContext& add_json(std::string_view key, std::string json);

    bool empty() const { return fields_.empty(); }

    // The JSON text, at most max_bytes long (max_bytes < 64 is treated as 64).
    std::string render(std::size_t max_bytes) const;

private:
    struct Field {
        std::string key;    // already quoted and escaped
        std::string value;  // JSON text
        bool is_string;
        std::string raw;  // the unescaped text of a string value, for shortening
    };
    EventContext& add_rendered(std::string_view key, std::string value, bool is_string);

    std::vector<Field> fields_;
};

// The first `budget` bytes of `text` (not splitting a UTF-8 character) followed by "...", or
// `text` itself when it fits.
std::string shortened(std::string_view text, std::size_t budget);

// Appends `text` as a JSON string literal (quoted, escaped) to `out`.
void append_json_string(std::string& out, std::string_view text);

}  // namespace av3
