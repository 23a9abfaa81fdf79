#include "core/json_fields.hpp"

#include <cstdint>

namespace av3 {

namespace {

class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {}

    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                       text_[pos_] == '\t' || text_[pos_] == '\r')) {
            ++pos_;
        }
    }
    bool at(char c) {
        skip_space();
        return pos_ < text_.size() && text_[pos_] == c;
    }
    bool eat(char c) {
        if (!at(c)) {
            return false;
        }
        ++pos_;
        return true;
    }

    // A string literal, unescaped into `out`; false on malformed text.
    bool string(std::string* out) {
        if (!eat('"')) {
            return false;
        }
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '"') {
                return true;
            }
            if (c != '\\') {
                if (out != nullptr) {
                    out->push_back(c);
                }
                continue;
            }
            if (pos_ >= text_.size()) {
                return false;
            }
            const char e = text_[pos_++];
            char plain = 0;
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    plain = e;
                    break;
                case 'b':
                    plain = '\b';
                    break;
                case 'f':
                    plain = '\f';
                    break;
                case 'n':
                    plain = '\n';
                    break;
                case 'r':
                    plain = '\r';
                    break;
                case 't':
                    plain = '\t';
                    break;
                case 'u': {
                    if (pos_ + 4 > text_.size()) {
                        return false;
                    }
                    std::uint32_t code = 0;
                    for (int i = 0; i < 4; ++i) {
                        const char h = text_[pos_++];
                        code <<= 4;
                        if (h >= '0' && h <= '9') {
                            code |= static_cast<std::uint32_t>(h - '0');
                        } else if (h >= 'a' && h <= 'f') {
                            code |= static_cast<std::uint32_t>(h - 'a' + 10);
                        } else if (h >= 'A' && h <= 'F') {
                            code |= static_cast<std::uint32_t>(h - 'A' + 10);
                        } else {
                            return false;
                        }
                    }
                    if (out != nullptr) {
                        append_utf8(*out, code);
                    }
                    continue;
                }
                default:
                    return false;
            }
            if (out != nullptr) {
                out->push_back(plain);
            }
        }
        return false;
    }

    // Any value; its text (for a non-string) or unescaped content (string) goes to `out`.
    bool value(JsonField* out) {
        skip_space();
        if (at('"')) {
            if (out != nullptr) {
                out->is_string = true;
                out->text.clear();
            }
            return string(out != nullptr ? &out->text : nullptr);
        }
        const std::size_t start = pos_;
        if (at('{') || at('[')) {
            int depth = 0;
            while (pos_ < text_.size()) {
                const char c = text_[pos_];
                if (c == '"') {
                    if (!string(nullptr)) {
                        return false;
                    }
                    continue;
                }
                ++pos_;
                if (c == '{' || c == '[') {
                    ++depth;
                } else if ((c == '}' || c == ']') && --depth == 0) {
                    break;
                }
            }
            if (depth != 0) {
                return false;
            }
        } else {
            while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' &&
                   text_[pos_] != ']' && text_[pos_] != ' ' && text_[pos_] != '\n') {
                ++pos_;
            }
            if (pos_ == start) {
                return false;
            }
        }
        if (out != nullptr) {
            out->is_string = false;
            out->text = std::string(text_.substr(start, pos_ - start));
        }
        return true;
    }

private:
    static void append_utf8(std::string& out, std::uint32_t code) {
        if (code < 0x80) {
            out.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (code >> 6)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xE0 | (code >> 12)));
            out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

namespace {

// Calls found(name, value) for every top-level field of the object, wanted(name) deciding
// which values to read (the others are skipped); false when the text is not a JSON object.
template <typename Wanted, typename Found>
bool scan_object(std::string_view json, Wanted wanted, Found found) {
    Scanner s(json);
    if (!s.eat('{')) {
        return false;
    }
    if (s.eat('}')) {
        return true;
    }
    std::string name;
    for (;;) {
        name.clear();
        if (!s.string(&name) || !s.eat(':')) {
            return false;
        }
        JsonField value;
        const bool read = wanted(name);
        if (!s.value(read ? &value : nullptr)) {
            return false;
        }
        if (read) {
            value.is_null = !value.is_string && value.text == "null";
            found(name, std::move(value));
        }
        if (s.eat(',')) {
            continue;
        }
        return s.eat('}');
    }
}

}  // namespace

std::optional<JsonField> json_field(std::string_view json, std::string_view key) {
    std::optional<JsonField> field;
    const bool object = scan_object(
        json, [&](const std::string& name) { return name == key; },
        [&](const std::string&, JsonField value) { field = std::move(value); });
    return object ? field : std::nullopt;
}

void json_fields(std::string_view json, const std::string_view* keys, std::size_t count,
                 std::optional<JsonField>* out) {
    for (std::size_t i = 0; i < count; ++i) {
        out[i].reset();
    }
    auto index_of = [&](const std::string& name) {
        std::size_t i = 0;
        while (i < count && keys[i] != name) {
            ++i;
        }
        return i;
    };
    const bool object = scan_object(
        json, [&](const std::string& name) { return index_of(name) < count; },
        [&](const std::string& name, JsonField value) { out[index_of(name)] = std::move(value); });
    if (!object) {
        for (std::size_t i = 0; i < count; ++i) {
            out[i].reset();
        }
    }
}

}  // namespace av3
