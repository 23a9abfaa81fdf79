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

EventContext& EventContext::add_rendered(std::string_view key, std::string value, bool is_string) {
    std::string quoted;
    append_json_string(quoted, key);
    fields_.push_back(Field{std::move(quoted), std::move(value), is_string, {}});
    return *this;
}

EventContext& EventContext::add(std::string_view key, std::string_view value) {
    std::string literal;
    append_json_string(literal, value);
    add_rendered(key, std::move(literal), true);
    fields_.back().raw = std::string(value);
    return *this;
}

EventContext& EventContext::add(std::string_view key, std::int64_t value) {
    return add_rendered(key, std::to_string(value), false);
}

EventContext& EventContext::add(std::string_view key, double value) {
    if (!std::isfinite(value)) {
        return add_null(key);
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", value);
    return add_rendered(key, buf, false);
}

EventContext& EventContext::add(std::string_view key, bool value) {
    return add_rendered(key, value ? "true" : "false", false);
}

EventContext& EventContext::add_null(std::string_view key) {
    return add_rendered(key, "null", false);
}

EventContext& EventContext::add_strings(std::string_view key,
                                        const std::vector<std::string>& values) {
    std::string array = "[";
    for (const std::string& value : values) {
        if (array.size() > 1) {
            array += ", ";
        }
        append_json_string(array, value);
    }
    array += "]";
    return add_rendered(key, std::move(array), false);
}

EventContext& EventContext::add_uuids(std::string_view key, const std::vector<Uuid>& ids) {
    std::vector<std::string> texts;
    texts.reserve(ids.size());
    for (const Uuid& id : ids) {
        texts.push_back(id.to_string());
    }
    return add_strings(key, texts);
}

EventContext& EventContext::add_json(std::string_view key, std::string json) {
    return add_rendered(key, std::move(json), false);
}

std::string EventContext::render(std::size_t max_bytes) const {
    max_bytes = std::max(max_bytes, kMinContextBytes);
    std::vector<std::pair<const std::string*, const std::string*>> view;
    view.reserve(fields_.size());
    for (const Field& field : fields_) {
        view.emplace_back(&field.key, &field.value);
    }
    std::string full = join(view, {});
    if (full.size() <= max_bytes) {
        return full;
    }

    // Too large: cut long values down to a fair share of the budget, then drop fields from the end;
    // `reason` is kept whatever it costs (it is what the runbook's queries group by).
    const std::string flag =
        "\"truncated\": true, \"original_bytes\": " + std::to_string(full.size());
    std::vector<std::string> values;
    values.reserve(fields_.size());
    for (const Field& field : fields_) {
        values.push_back(field.value);
    }
    auto rebuild = [&](std::size_t keep) {
        std::vector<std::pair<const std::string*, const std::string*>> kept;
        for (std::size_t i = 0; i < fields_.size(); ++i) {
            if (i < keep || fields_[i].key == kEssentialKey) {
                kept.emplace_back(&fields_[i].key, &values[i]);
            }
        }
        return join(kept, flag);
    };
    const std::size_t per_value_budget =
        std::max<std::size_t>(32, max_bytes / (fields_.size() + 1));
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (fields_[i].is_string && fields_[i].key != kEssentialKey &&
            values[i].size() > per_value_budget) {
            values[i].clear();
            append_json_string(values[i], shortened(fields_[i].raw, per_value_budget / 2));
        } else if (!fields_[i].is_string && values[i].size() > per_value_budget) {
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
        if (fields_[i].key == kEssentialKey) {
            values[i].clear();
            append_json_string(values[i], shortened(fields_[i].raw, max_bytes / 8));
        }
    }
    std::string last = rebuild(0);
    return last.size() <= max_bytes ? last : std::string("{") + flag + "}";
}

}  // namespace av3
