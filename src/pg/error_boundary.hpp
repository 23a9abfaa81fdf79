// The one boundary between C++ and Postgres error handling (docs/architecture.md §12).
//
// Postgres reports errors with ereport(), a longjmp that would skip C++ destructors; C++
// reports errors with exceptions, which must never unwind through Postgres frames. So:
//
//  * every call into Postgres made from code that owns C++ objects goes through pg_call(),
//    which catches a Postgres error and rethrows it as a PgError exception;
//  * every extern "C" entry point (SQL function, trigger, worker main) runs its body through
//    cpp_entry(), which catches every exception and raises the Postgres error only after the
//    catch block has ended, when no C++ object is left alive on the stack;
//  * code that wants to report a clear error to the user throws UserError (sqlstate, message,
//    detail, hint): it becomes an ordinary ereport(ERROR) at the boundary.
#pragma once

#include "pg/postgres.hpp"

namespace av3::pg {

// A Postgres error, caught by pg_call(). Holds a copy of the ErrorData made in the memory
// context that was current at the call.
class PgError : public std::exception {
public:
    explicit PgError(ErrorData* data) : data_(data) {}
    ErrorData* data() const { return data_; }
    int sqlerrcode() const { return data_->sqlerrcode; }
    const char* what() const noexcept override {
        return data_->message != nullptr ? data_->message : "unknown Postgres error";
    }

private:
    ErrorData* data_;
};

// An error meant for the user: becomes ereport(ERROR) with these fields at the boundary.
class UserError : public std::exception {
public:
    UserError(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
        : sqlstate_(sqlstate),
          message_(std::move(message)),
          detail_(std::move(detail)),
          hint_(std::move(hint)) {}
    int sqlstate() const { return sqlstate_; }
    const std::string& detail() const { return detail_; }
    const std::string& hint() const { return hint_; }
    const char* what() const noexcept override { return message_.c_str(); }

private:
    int sqlstate_;
    std::string message_;
    std::string detail_;
    std::string hint_;
};

namespace detail {
// Runs body(context) inside PG_TRY. Returns true when a Postgres error was caught; it is then
// still in Postgres' error state, for throw_pg_error(). Kept out of line so that no C++ object
// lives in the frame that calls sigsetjmp.
bool run_guarded(void (*body)(void*), void* context);
[[noreturn]] void throw_pg_error(MemoryContext context);
}  // namespace detail

// Runs `fn` (which calls Postgres and must not itself own objects with destructors while it
// does) and turns a Postgres error into PgError. A C++ exception thrown by `fn` is carried past
// the PG_TRY frame before it is rethrown, so Postgres' error stack stays consistent.
template <typename Fn>
auto pg_call(Fn&& fn) -> decltype(fn()) {
    using Result = decltype(fn());
    if constexpr (std::is_void_v<Result>) {
        // One guarded path for both: a void call returns a placeholder that is dropped.
        pg_call([&fn] {
            fn();
            return true;
        });
    } else {
        MemoryContext caller_context = CurrentMemoryContext;
        struct Call {
            Fn* fn;
            std::optional<Result> result;
            std::exception_ptr failure;
        } call{&fn, std::nullopt, nullptr};
        auto body = [](void* p) {
            auto* c = static_cast<Call*>(p);
            try {
                c->result.emplace((*c->fn)());
            } catch (...) {
                c->failure = std::current_exception();
            }
        };
        if (detail::run_guarded(body, &call)) {
            detail::throw_pg_error(caller_context);
        }
        if (call.failure) {
            std::rethrow_exception(call.failure);
        }
        return std::move(*call.result);
    }
}

// What cpp_entry() caught, kept in plain memory so that it outlives the catch block.
struct CaughtError {
    ErrorData* pg_error = nullptr;  // a Postgres error to rethrow as it was
    int sqlstate = 0;               // otherwise, an error to raise with these fields
    char* message = nullptr;
    char* detail = nullptr;
    char* hint = nullptr;
};

namespace detail {
void capture(CaughtError& caught);  // call only inside a catch block
[[noreturn]] void raise(const CaughtError& caught);
}  // namespace detail

// Runs the body of an extern "C" entry point. The Postgres error, if any, is raised here,
// after the catch block: no C++ frame with live objects remains below this one.
template <typename Fn>
auto cpp_entry(Fn&& body) -> decltype(body()) {
    CaughtError caught;
    try {
        return body();
    } catch (...) {
        detail::capture(caught);
    }
    detail::raise(caught);
}

// Log lines from C++ code (ereport below ERROR, guarded).
void report(int elevel, const std::string& message, const std::string& detail = {});

}  // namespace av3::pg
