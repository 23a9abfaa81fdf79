#include "pg/event_log.hpp"

#include "pg/direct_insert.hpp"
#include "pg/event_rollups.hpp"
#include "pg/extension_version.hpp"
#include "pg/transaction_hooks.hpp"
#include "pg/settings.hpp"
#include "pg/spi.hpp"

#include <algorithm>

extern "C" {
#include "commands/sequence.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

namespace av3::pg {

namespace {

const char* severity_name(Severity severity) {
    switch (severity) {
        case Severity::Debug:
            return "debug";
        case Severity::Info:
            return "info";
        case Severity::Warning:
            return "warning";
        case Severity::Error:
            return "error";
    }
    return "info";
}

Statement& insert_events() {
    static Statement statement(
        "INSERT INTO assignment_v3.observability_events "
        "  (created_at, source, event_type, severity, booking_id, restaurant_id, context) "
        "SELECT e.created_at, e.source, e.event_type, e.severity, e.booking_id, e.restaurant_id, "
        "e.context::jsonb "
        "FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::uuid[], "
        "$6::uuid[], $7::text[]) "
        "  AS e(created_at, source, event_type, severity, booking_id, restaurant_id, context)",
        {TIMESTAMPTZARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, UUIDARRAYOID, UUIDARRAYOID,
         TEXTARRAYOID});
    return statement;
}

}  // namespace

std::string PendingEvent::context_json() const {
    return context_text ? *context_text : context.render(SIZE_MAX);
}

void EventBuffer::add(std::string_view source, std::string_view event_type, Severity severity,
                      std::optional<Uuid> booking_id, std::optional<Uuid> restaurant_id,
                      EventContext context, Micros at) {
    PendingEvent event;
    event.created_at = at != 0 ? at : now_micros();
    event.source = source;
    event.event_type = event_type;
    event.severity = severity;
    event.booking_id = booking_id;
    event.restaurant_id = restaurant_id;
    const auto max_bytes = static_cast<std::size_t>(settings::max_event_context_bytes);
    const std::vector<EventContext::Field>& fields = context.fields();
    // JSON built elsewhere, and a NUL byte (which jsonb_in refuses, as "\u0000"), go through
    // the text and jsonb_in.
    auto has_nul = [](const std::string& text) { return text.find('\0') != std::string::npos; };
    const bool needs_text =
        std::any_of(fields.begin(), fields.end(), [&](const EventContext::Field& f) {
            return f.kind == EventContext::Kind::Json || has_nul(f.key) || has_nul(f.text) ||
                   std::any_of(f.items.begin(), f.items.end(), has_nul);
        });
    if (context.fits(max_bytes) && !needs_text) {
        event.context = std::move(context);
    } else {
        event.context_text = context.render(max_bytes);
    }
    events_.push_back(std::move(event));
}

void EventBuffer::append(EventBuffer&& other) {
    events_.insert(events_.end(), std::make_move_iterator(other.events_.begin()),
                   std::make_move_iterator(other.events_.end()));
    other.events_.clear();
}

namespace {

// The events table, written directly when it is eligible (pg/direct_insert.hpp): its rollup
// trigger's work is done by EventRollups.
const DirectTarget& events_table() {
    static const DirectTarget target{"assignment_v3",
                                     "observability_events",
                                     {"observability_events_roll_up"},
                                     {{"id", INT8OID},
                                      {"created_at", TIMESTAMPTZOID},
                                      {"source", TEXTOID},
                                      {"event_type", TEXTOID},
                                      {"severity", TEXTOID},
                                      {"booking_id", UUIDOID},
                                      {"restaurant_id", UUIDOID},
                                      {"context", JSONBOID}}};
    return target;
}

// The columns of observability_events, in order (events_table().columns).
enum EventColumn {
    kId,
    kCreatedAt,
    kSource,
    kEventType,
    kSeverity,
    kBookingId,
    kRestaurantId,
    kContext,
    kEventColumns
};

// Pushes a string as a jsonb value or array element.
void push_string(JsonbParseState** state, JsonbIteratorToken token, const std::string& text) {
    JsonbValue value;
    value.type = jbvString;
    value.val.string.val = const_cast<char*>(text.data());
    value.val.string.len = static_cast<int>(text.size());
    pushJsonbValue(state, token, &value);
}

// A JSON number as numeric_in reads it. Most are whole numbers (versions, attempts, delays in
// milliseconds): those are converted directly, as numeric_in would store them (scale 0), without
// parsing the text; anything else goes through numeric_in.
Numeric number_numeric(const std::string& text) {
    const std::size_t digits_from = !text.empty() && text[0] == '-' ? 1 : 0;
    const std::size_t digits = text.size() - digits_from;
    if (digits >= 1 && digits <= 18 &&
        std::all_of(text.begin() + static_cast<std::ptrdiff_t>(digits_from), text.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
        std::int64_t magnitude = 0;
        for (std::size_t i = digits_from; i < text.size(); ++i) {
            magnitude = magnitude * 10 + (text[i] - '0');  // at most 18 digits: no overflow
        }
        return int64_to_numeric(digits_from ? -magnitude : magnitude);
    }
    return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(text.c_str()),
                                               ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

// The context's jsonb, built from its fields as jsonb_in would build it from their text: the
// same pushJsonbValue calls (which sort the keys and keep the last of a repeated one), numbers
// as numeric_in reads their text (number_numeric). Inside the guarded call: owns no C++ objects.
Datum context_jsonb(const PendingEvent& e) {
    if (e.context_text) {
        return DirectFunctionCall1(jsonb_in, CStringGetDatum(e.context_text->c_str()));
    }
    JsonbParseState* state = nullptr;
    pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
    for (const EventContext::Field& field : e.context.fields()) {
        push_string(&state, WJB_KEY, field.key);
        JsonbValue value;
        switch (field.kind) {
            case EventContext::Kind::String:
                push_string(&state, WJB_VALUE, field.text);
                continue;
            case EventContext::Kind::Strings:
                pushJsonbValue(&state, WJB_BEGIN_ARRAY, nullptr);
                for (const std::string& item : field.items) {
                    push_string(&state, WJB_ELEM, item);
                }
                pushJsonbValue(&state, WJB_END_ARRAY, nullptr);
                continue;
            case EventContext::Kind::Number:
                value.type = jbvNumeric;
                value.val.numeric = number_numeric(field.text);
                break;
            case EventContext::Kind::Bool:
                value.type = jbvBool;
                value.val.boolean = field.text == "true";
                break;
            case EventContext::Kind::Null:
            case EventContext::Kind::Json:  // (not reached: such a context is kept as text)
                value.type = jbvNull;
                break;
        }
        pushJsonbValue(&state, WJB_VALUE, &value);
    }
    JsonbValue* object = pushJsonbValue(&state, WJB_END_OBJECT, nullptr);
    return JsonbPGetDatum(JsonbValueToJsonb(object));
}

// Inserts the events as rows built in C++, no statement around them; false when the table is
// not eligible.
bool insert_directly(const std::vector<const PendingEvent*>& events) {
    const Oid sequence = identity_sequence(events_table(), "id");
    std::vector<pg_uuid_t> ids(events.size() * 2);
    auto fill = [&](int row, Datum* values, bool* nulls) {
        const PendingEvent& e = *events[row];
        values[kId] = Int64GetDatum(nextval_internal(sequence, false));
        values[kCreatedAt] = TimestampTzGetDatum(e.created_at);
        values[kSource] = PointerGetDatum(
            cstring_to_text_with_len(e.source.data(), static_cast<int>(e.source.size())));
        values[kEventType] = PointerGetDatum(
            cstring_to_text_with_len(e.event_type.data(), static_cast<int>(e.event_type.size())));
        values[kSeverity] = PointerGetDatum(cstring_to_text(severity_name(e.severity)));
        if (e.booking_id) {
            memcpy(ids[2 * row].data, e.booking_id->bytes.data(), UUID_LEN);
            values[kBookingId] = UUIDPGetDatum(&ids[2 * row]);
        }
        if (e.restaurant_id) {
            memcpy(ids[2 * row + 1].data, e.restaurant_id->bytes.data(), UUID_LEN);
            values[kRestaurantId] = UUIDPGetDatum(&ids[2 * row + 1]);
        }
        values[kContext] = context_jsonb(e);
        for (int c = 0; c < kEventColumns; ++c) {
            nulls[c] =
                (c == kBookingId && !e.booking_id) || (c == kRestaurantId && !e.restaurant_id);
        }
    };
    return direct_insert(events_table(), static_cast<int>(events.size()), fill);
}

// The direct path writes the rollups of this library's version; with another version installed
// (before ALTER EXTENSION ... UPDATE) events go through SQL and that version's trigger, as every
// application write must keep working in that window. Looked up once per transaction.
bool schema_is_this_librarys() {
    static std::uint64_t checked_in = ~std::uint64_t{0};
    static bool current = false;
    if (checked_in != transaction_number()) {
        const std::optional<std::string> installed = installed_version();
        current = installed && *installed == kLibraryVersion;
        checked_in = transaction_number();
    }
    return current;
}

}  // namespace

void write_events(const std::vector<const PendingEvent*>& events) {
    if (events.empty()) {
        return;
    }
    if (schema_is_this_librarys() && insert_directly(events)) {
        EventRollups rollups;
        for (const PendingEvent* e : events) {
            rollups.count(*e);
        }
        rollups.flush();
        return;
    }
    std::vector<Micros> created_at;
    std::vector<std::string> sources, types, severities, contexts;
    std::vector<Uuid> booking_ids, restaurant_ids;
    std::vector<bool> booking_nulls, restaurant_nulls;
    for (const PendingEvent* e : events) {
        created_at.push_back(e->created_at);
        sources.emplace_back(e->source);
        types.emplace_back(e->event_type);
        severities.emplace_back(severity_name(e->severity));
        contexts.push_back(e->context_json());
        booking_ids.push_back(e->booking_id.value_or(Uuid{}));
        booking_nulls.push_back(!e->booking_id.has_value());
        restaurant_ids.push_back(e->restaurant_id.value_or(Uuid{}));
        restaurant_nulls.push_back(!e->restaurant_id.has_value());
    }
    std::vector<Param> params = {
        {timestamptz_array_datum(created_at), false},
        {text_array_datum(sources), false},
        {text_array_datum(types), false},
        {text_array_datum(severities), false},
        {uuid_array_datum(booking_ids, booking_nulls), false},
        {uuid_array_datum(restaurant_ids, restaurant_nulls), false},
        {text_array_datum(contexts), false},
    };
    insert_events().run(params);
}

void EventBuffer::flush() {
    std::vector<const PendingEvent*> events;
    events.reserve(events_.size());
    for (const PendingEvent& e : events_) {
        events.push_back(&e);
    }
    write_events(events);
    events_.clear();
}

}  // namespace av3::pg
