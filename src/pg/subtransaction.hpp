// Runs work in an internal subtransaction, so that one failing booking (or one failing bulk
// write) rolls back alone while the batch's transaction goes on.
#pragma once

#include "pg/error_boundary.hpp"

namespace av3::pg {

// Thrown by a write whose booking no longer has the version the invocation read (another
// writer moved it): not an error, the invocation is then a noop. A C++ type of its own, so that
// a real serialization failure (SQLSTATE 40001) is never mistaken for it.
class VersionConflict : public std::exception {
public:
    const char* what() const noexcept override {
        return "booking version changed while it was being assigned";
    }
};

// What a rolled-back subtransaction failed with.
struct SubtransactionError {
    int sqlstate = 0;
    std::string message;
    bool version_conflict = false;  // a VersionConflict, not an error
};

// Runs `fn` in a subtransaction. Returns no value when it committed; otherwise the subtransaction
// was rolled back and the Postgres error (or C++ exception) is returned. Query cancellation and
// shutdown requests are not swallowed: they roll back and propagate.
template <typename Fn>
std::optional<SubtransactionError> in_subtransaction(Fn&& fn);

namespace detail {
struct SubtransactionFrame {
    MemoryContext context;
    ResourceOwner owner;
};
SubtransactionFrame begin_subtransaction();
void commit_subtransaction(const SubtransactionFrame& frame);
void rollback_subtransaction(const SubtransactionFrame& frame);
bool must_propagate(int sqlstate);
}  // namespace detail

template <typename Fn>
std::optional<SubtransactionError> in_subtransaction(Fn&& fn) {
    const detail::SubtransactionFrame frame = detail::begin_subtransaction();
    std::optional<SubtransactionError> failure;
    try {
        fn();
    } catch (const PgError& e) {
        failure = SubtransactionError{e.sqlerrcode(), e.what()};
        if (detail::must_propagate(e.sqlerrcode())) {
            detail::rollback_subtransaction(frame);
            throw;
        }
    } catch (const VersionConflict& e) {
        failure = SubtransactionError{0, e.what(), true};
    } catch (const UserError& e) {
        failure = SubtransactionError{e.sqlstate(), e.what()};
    } catch (const std::exception& e) {
        failure = SubtransactionError{ERRCODE_INTERNAL_ERROR, e.what()};
    }
    if (failure) {
        detail::rollback_subtransaction(frame);
    } else {
        detail::commit_subtransaction(frame);
    }
    return failure;
}

}  // namespace av3::pg
