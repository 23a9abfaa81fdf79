// Reads one top-level field of a JSON object as Postgres' `object ->> key` does: a string
// unescaped, a number or boolean as its text; JSON null is flagged (->> gives NULL for it, but
// `object ? key` is true), a missing key is nothing. For the
// event rollups, which must count the events exactly as rebuild_event_rollups() recounts them
// from the stored contexts (docs/architecture.md, "Events and their rollups").
//
// Meant for the contexts the extension renders (core/event_context.hpp); on text that is not
// a JSON object it finds nothing. Nested values are skipped, not interpreted.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace av3 {

struct JsonField {
    std::string text;  // the unescaped string, or the JSON text of another value
    bool is_string = false;
    bool is_null = false;  // JSON null: ->> gives NULL

    // What `->>` gives: the text, or nothing for JSON null.
    std::optional<std::string> as_text() const {
        return is_null ? std::nullopt : std::optional<std::string>(text);
    }
};

// The field `key` of the object `json` (the last one, if the key repeats: as jsonb keeps it).
std::optional<JsonField> json_field(std::string_view json, std::string_view key);

// The fields `keys[0..count)` of the object `json` in one pass over it: out[i] is what
// json_field(json, keys[i]) finds (all nothing when the text is not a JSON object).
void json_fields(std::string_view json, const std::string_view* keys, std::size_t count,
                 std::optional<JsonField>* out);

template <std::size_t N>
std::array<std::optional<JsonField>, N> json_fields(std::string_view json,
                                                    const std::array<std::string_view, N>& keys) {
    std::array<std::optional<JsonField>, N> out;
    json_fields(json, keys.data(), N, out.data());
    return out;
}

}  // namespace av3
