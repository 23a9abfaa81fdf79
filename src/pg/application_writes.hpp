// What an application's write to bookings sets off (docs/architecture.md, "The write path").
//
// The bookings guard, a BEFORE ROW trigger, only checks a row and edits it: a change of party
// size or time resets it to 'created', a cancellation to 'cancelled'. What such a transition
// does to other rows — the booking's tables released, its transition event, the waiting
// retries of its restaurant woken after a cancellation — is queued and done by the statement's
// AFTER STATEMENT trigger, set-based, once the statement has changed all its rows: a
// statement over many bookings then neither touches a row it is about to update itself nor
// pays a statement per row. A deletion frees the tables of its bookings (cascade): its AFTER
// STATEMENT trigger wakes the retries of their restaurants.
#pragma once

#include <string>
#include <vector>

#include "core/state_machine.hpp"
#include "core/types.hpp"

namespace av3::pg {

struct ApplicationTransition {
    Uuid booking_id;
    Uuid restaurant_id;
    std::string from;  // the state's name as it was stored
    AssignmentState to;
    int version;            // after the transition
    TransitionCause cause;  // Modification or Cancellation
};

// Registers the (sub)transaction callbacks that drop what a rolled-back statement queued.
void install_application_write_hooks();

// From the guard: a transition of the row being written.
void queue_application_transition(ApplicationTransition transition);

// From the AFTER STATEMENT trigger: releases the tables of the queued bookings, writes their
// transition events, wakes the waiting retries of the restaurants where bookings were
// cancelled. Needs SPI.
void apply_application_transitions();

// Tables of these restaurants were freed: their bookings waiting for a retry (not those
// waiting for a rate-limit slot) become due now; bookings a worker holds are skipped (their
// invocation decides them anyway). Needs SPI.
void wake_retries_of(const std::vector<Uuid>& restaurants);

}  // namespace av3::pg
