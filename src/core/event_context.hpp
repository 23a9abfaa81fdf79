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

#include "core/json_fields.hpp"
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

    // How a field's value is written: the fields are kept as given (not as JSON text), so that
    // the database can build its jsonb from them directly and the rollups read them without
    // parsing (pg/event_log.cpp); the text is rendered only where it is needed.
    enum class Kind { String, Number, Bool, Null, Strings, Json };
    struct Field {
        std::string key;  // as given, unescaped
        Kind kind;
        std::string text;                // String: the text; Number, Bool, Json: the JSON text
        std::vector<std::string> items;  // Strings: the elements
    };
    const std::vector<Field>& fields() const { return fields_; }

    // Whether render(max_bytes) is the whole context, nothing shortened or dropped (then the
    // fields are exactly what is stored).
    bool fits(std::size_t max_bytes) const;

    // The JSON text, at most max_bytes long (max_bytes < 64 is treated as 64).
    std::string render(std::size_t max_bytes) const;

    // What json_fields(render(n), keys) finds when the context fits in n, read from the fields
    // (a Json field's text as given).
    void find(const std::string_view* keys, std::size_t count, std::optional<JsonField>* out) const;

private:
    EventContext& add_field(std::string_view key, Kind kind, std::string text);
    // The length of the whole context's JSON text, without building it.
    std::size_t rendered_size() const;

    std::vector<Field> fields_;
};

// The first `budget` bytes of `text` (not splitting a UTF-8 character) followed by "...", or
// `text` itself when it fits.
std::string shortened(std::string_view text, std::size_t budget);

// Appends `text` as a JSON string literal (quoted, escaped) to `out`.
void append_json_string(std::string& out, std::string_view text);

// The length of that literal.
std::size_t json_string_size(std::string_view text);

// The JSON text of a field's value.
std::string field_json(const EventContext::Field& field);

}  // namespace av3
