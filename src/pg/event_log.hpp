// Writes observability_events rows: events are buffered in C++ and inserted with one
// statement per flush (unnest of arrays), so a batch of bookings costs one INSERT.
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
    std::string context;  // rendered JSON, within max_event_context_bytes
};

class EventBuffer {
public:
    // Renders the context (size-guarded) and queues the event.
    void add(std::string_view source, std::string_view event_type, Severity severity,
             std::optional<Uuid> booking_id, std::optional<Uuid> restaurant_id,
             const EventContext& context, Micros at = 0);

    // Appends the events of another buffer (e.g. a booking's events after its write succeeded).
    void append(EventBuffer&& other);
    void clear() { events_.clear(); }
    bool empty() const { return events_.empty(); }
    std::size_t size() const { return events_.size(); }

    // Inserts the queued events with one statement and clears the buffer.
    void flush();

private:
    std::vector<PendingEvent> events_;
};

}  // namespace av3::pg
