#include "core/event_context.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace av3 {

namespace {

constexpr std::size_t kMinContextBytes = 64;
constexpr std::string_view kEssentialKey = "\"reason\"";

std::string join(const std::vector<std::pair<const std::string*, const std::string*>>& fields,
                 std::string_view suffix) {
    std::string out = "{";
    for (const auto& [key, value] : fields) {
        if (out.size() > 1) {
            out += ", ";
        }
        out += *key;
        out += ": ";
        out += *value;
    }
    if (!suffix.empty()) {
        if (out.size() > 1) {
            out += ", ";
        }
        out += suffix;
    }
    out += "}";
    return out;
}

}  // namespace

std::string shortened(std::string_view text, std::size_t budget) {
    if (text.size() <= budget) {
        return std::string(text);
    }
    std::size_t cut = budget;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut;  // step back over UTF-8 continuation bytes
    }
    return std::string(text.substr(0, cut)) + "...";
}

void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    for (char ch : text) {
        const unsigned char c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out.push_back(ch);
                }
        }
    }
    out.push_back('"');
}

std::size_t json_string_size(std::string_view text) {
    std::size_t size = 2;
    for (char ch : text) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t') {
            size += 2;
        } else {
            size += c < 0x20 ? 6 : 1;
        }
    }
    return size;
}

std::string field_json(const EventContext::Field& field) {
    switch (field.kind) {
        case EventContext::Kind::String: {
            std::string literal;
            append_json_string(literal, field.text);
            return literal;
        }
        case EventContext::Kind::Null:
            return "null";
        case EventContext::Kind::Strings: {
            std::string array = "[";
            for (const std::string& item : field.items) {
                if (array.size() > 1) {
                    array += ", ";
                }
                append_json_string(array, item);
            }
            array += "]";
            return array;
        }
        case EventContext::Kind::Number:
        case EventContext::Kind::Bool:
        case EventContext::Kind::Json:
            break;
    }
    return field.text;
}

EventContext& EventContext::add_field(std::string_view key, Kind kind, std::string text) {
    // Room for a usual context at once (most have four to eight fields): growing the vector a
    // field at a time moved them three times over, five times per booking decided.
    constexpr std::size_t kUsualFields = 8;
    if (fields_.empty()) {
        fields_.reserve(kUsualFields);
    }
    fields_.push_back(Field{std::string(key), kind, std::move(text), {}});
    return *this;
}

EventContext& EventContext::add(std::string_view key, std::string_view value) {
    return add_field(key, Kind::String, std::string(value));
}

EventContext& EventContext::add(std::string_view key, std::int64_t value) {
    return add_field(key, Kind::Number, std::to_string(value));
}

EventContext& EventContext::add(std::string_view key, double value) {
    if (!std::isfinite(value)) {
        return add_null(key);
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", value);
    return add_field(key, Kind::Number, buf);
}

EventContext& EventContext::add(std::string_view key, bool value) {
    return add_field(key, Kind::Bool, value ? "true" : "false");
}

EventContext& EventContext::add_null(std::string_view key) {
    return add_field(key, Kind::Null, {});
}

EventContext& EventContext::add_strings(std::string_view key,
                                        const std::vector<std::string>& values) {
    add_field(key, Kind::Strings, {});
    fields_.back().items = values;
    return *this;
}

EventContext& EventContext::add_uuids(std::string_view key, const std::vector<Uuid>& ids) {
    add_field(key, Kind::Strings, {});
    std::vector<std::string>& items = fields_.back().items;
    items.reserve(ids.size());
    for (const Uuid& id : ids) {
        items.push_back(id.to_string());
    }
    return *this;
}

EventContext& EventContext::add_json(std::string_view key, std::string json) {
    return add_field(key, Kind::Json, std::move(json));
}

std::size_t EventContext::rendered_size() const {
    // "{" "}" and ", " between fields, each `key: value`.
    std::size_t size = 2 + (fields_.empty() ? 0 : 2 * (fields_.size() - 1));
    for (const Field& field : fields_) {
        size += json_string_size(field.key) + 2;
        switch (field.kind) {
            case Kind::String:
                size += json_string_size(field.text);
                break;
            case Kind::Null:
                size += 4;
                break;
            case Kind::Strings:
                size += 2 + (field.items.empty() ? 0 : 2 * (field.items.size() - 1));
                for (const std::string& item : field.items) {
                    size += json_string_size(item);
                }
                break;
            case Kind::Number:
            case Kind::Bool:
            case Kind::Json:
                size += field.text.size();
                break;
        }
    }
    return size;
}

bool EventContext::fits(std::size_t max_bytes) const {
    return rendered_size() <= std::max(max_bytes, kMinContextBytes);
}

void EventContext::find(const std::string_view* keys, std::size_t count,
                        std::optional<JsonField>* out) const {
    for (std::size_t i = 0; i < count; ++i) {
        out[i].reset();
    }
    // The last field of a repeated key wins, as jsonb keeps it.
    for (const Field& field : fields_) {
        for (std::size_t i = 0; i < count; ++i) {
            if (field.key != keys[i]) {
                continue;
            }
            JsonField& found = out[i].emplace();
            found.is_string = field.kind == Kind::String;
            found.is_null = field.kind == Kind::Null;
            found.text = found.is_string ? field.text : field_json(field);
        }
    }
}

std::string EventContext::render(std::size_t max_bytes) const {
    max_bytes = std::max(max_bytes, kMinContextBytes);
    std::vector<std::string> keys;
    std::vector<std::string> values;
    keys.reserve(fields_.size());
    values.reserve(fields_.size());
    for (const Field& field : fields_) {
        keys.emplace_back();
        append_json_string(keys.back(), field.key);
        values.push_back(field_json(field));
    }
    std::vector<std::pair<const std::string*, const std::string*>> view;
    view.reserve(fields_.size());
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        view.emplace_back(&keys[i], &values[i]);
    }
    std::string full = join(view, {});
    if (full.size() <= max_bytes) {
        return full;
    }

    // Too large: cut long values down to a fair share of the budget, then drop fields from the end;
    // `reason` is kept whatever it costs (it is what the runbook's queries group by).
    const std::string flag =
        "\"truncated\": true, \"original_bytes\": " + std::to_string(full.size());
    auto rebuild = [&](std::size_t keep) {
        std::vector<std::pair<const std::string*, const std::string*>> kept;
        for (std::size_t i = 0; i < fields_.size(); ++i) {
            if (i < keep || keys[i] == kEssentialKey) {
                kept.emplace_back(&keys[i], &values[i]);
            }
        }
        return join(kept, flag);
    };
    const std::size_t per_value_budget =
        std::max<std::size_t>(32, max_bytes / (fields_.size() + 1));
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        const bool is_string = fields_[i].kind == Kind::String;
        if (is_string && keys[i] != kEssentialKey && values[i].size() > per_value_budget) {
            values[i].clear();
            append_json_string(values[i], shortened(fields_[i].text, per_value_budget / 2));
        } else if (!is_string && values[i].size() > per_value_budget) {
            values[i] = "null";  // an oversized array or number: its content is lost, the key kept
        }
    }
    for (std::size_t keep = fields_.size();; --keep) {
        std::string candidate = rebuild(keep);
        if (candidate.size() <= max_bytes || keep == 0) {
            if (candidate.size() <= max_bytes) {
                return candidate;
            }
            break;
        }
    }
    // Even the reason alone does not fit: shorten it as well.
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (keys[i] == kEssentialKey) {
            values[i].clear();
            // (A reason that is not a string becomes an empty one.)
            const bool is_string = fields_[i].kind == Kind::String;
            append_json_string(values[i],
                               shortened(is_string ? fields_[i].text : "", max_bytes / 8));
        }
    }
    std::string last = rebuild(0);
    return last.size() <= max_bytes ? last : std::string("{") + flag + "}";
}

}  // namespace av3
