// A transaction of a background worker: started, run, committed, or rolled back with the error
// logged. The one place a worker (launcher or coordinator worker) leaves the Postgres error
// handling of the main loop: the body is C++ and runs inside the error boundary.
#pragma once

#include "pg/error_boundary.hpp"

namespace av3::pg {

struct TransactionOptions {
    const char* activity = nullptr;  // shown in pg_stat_activity while it runs
    bool statement_timeout = false;  // apply statement_timeout to the whole transaction
    bool connect_spi = true;
};

// What a failed transaction failed with (its message, copied out of the error state).
struct TransactionFailure {
    int sqlstate = 0;
    char message[256] = {};
};

namespace detail {
bool run_worker_transaction(const TransactionOptions& options, void (*body)(void*), void* context,
                            TransactionFailure* failure);
}  // namespace detail

// Runs `body` in a transaction of its own. Returns true when it committed; otherwise the
// transaction was rolled back, the error logged, and `failure` (if given) says what it was.
template <typename Fn>
bool run_worker_transaction(const TransactionOptions& options, Fn&& body,
                            TransactionFailure* failure = nullptr) {
    using Body = std::remove_reference_t<Fn>;
    auto call = [](void* fn) { (*static_cast<Body*>(fn))(); };
    return detail::run_worker_transaction(
        options, call, const_cast<void*>(static_cast<const void*>(&body)), failure);
}

}  // namespace av3::pg
