// Writes observability_events rows: events are buffered in C++ and inserted once per flush,
// directly (pg/direct_insert.hpp, the context's jsonb built from its fields) or, where the
// table is not eligible, with one statement (unnest of arrays).
#pragma once

#include "core/event_context.hpp"
#include "core/types.hpp"
#include "pg/postgres.hpp"

namespace av3::pg {

namespace source {
constexpr std::string_view kCoordinator = "assignment.coordinator";
constexpr std::string_view kStateMachine = "assignment.state_machine";
constexpr std::string_view kLegacy = "auto_assign";
}  // namespace source

enum class Severity { Debug, Info, Warning, Error };

struct PendingEvent {
    Micros created_at = 0;
    std::string_view source;
    std::string_view event_type;
    Severity severity = Severity::Info;
    std::optional<Uuid> booking_id;
    std::optional<Uuid> restaurant_id;
    // The context, kept as its fields when they are stored whole and jsonb can be built from
    // them directly; otherwise as `context_text`, the JSON text to store (shortened to
    // max_event_context_bytes, or holding JSON built elsewhere), and `context` is empty.
    EventContext context;
    std::optional<std::string> context_text;

    // The context's JSON text, as stored.
    std::string context_json() const;
};

class EventBuffer {
public:
    // Queues the event, its context shortened if it is over max_event_context_bytes.
    void add(std::string_view source, std::string_view event_type, Severity severity,
             std::optional<Uuid> booking_id, std::optional<Uuid> restaurant_id,
             EventContext context, Micros at = 0);

    // Appends the events of another buffer (e.g. a booking's events after its write succeeded).
    void append(EventBuffer&& other);
    void clear() { events_.clear(); }
    bool empty() const { return events_.empty(); }
    std::size_t size() const { return events_.size(); }

    const std::vector<PendingEvent>& events() const { return events_; }

    // Inserts the queued events and clears the buffer.
    void flush();

private:
    std::vector<PendingEvent> events_;
};

// Inserts events that stay where they are: the buffers of a batch's writes, kept as they are in
// case the (sub)transaction rolls back and the writes are tried again.
void write_events(const std::vector<const PendingEvent*>& events);

}  // namespace av3::pg
