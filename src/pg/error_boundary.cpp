#include "pg/error_boundary.hpp"

namespace av3::pg {

void report(int elevel, const std::string& message, const std::string& detail) {
    const char* msg = message.c_str();
    const char* det = detail.empty() ? nullptr : detail.c_str();
    pg_call([&] { ereport(elevel, (errmsg("%s", msg), det ? errdetail("%s", det) : 0)); });
}

}  // namespace av3::pg

namespace av3::pg::detail {

bool run_guarded(void (*body)(void*), void* context) {
    volatile bool failed = false;
    PG_TRY();
    { body(context); }
    PG_CATCH();
    { failed = true; }
    PG_END_TRY();
    return failed;
}

void throw_pg_error(MemoryContext context) {
    // We are past PG_END_TRY: the error is still in Postgres' error state. Copy it out of
    // ErrorContext into the caller's context and clear the state before throwing.
    MemoryContextSwitchTo(context);
    ErrorData* data = CopyErrorData();
    FlushErrorState();
    throw PgError(data);
}

void capture(CaughtError& caught) {
    try {
        throw;
    } catch (const PgError& e) {
        caught.pg_error = e.data();
    } catch (const UserError& e) {
        caught.sqlstate = e.sqlstate();
        caught.message = pstrdup(e.what());
        caught.detail = e.detail().empty() ? nullptr : pstrdup(e.detail().c_str());
        caught.hint = e.hint().empty() ? nullptr : pstrdup(e.hint().c_str());
    } catch (const std::bad_alloc&) {
        caught.sqlstate = ERRCODE_OUT_OF_MEMORY;
        caught.message = pstrdup("out of memory in assignment_v3");
    } catch (const std::exception& e) {
        caught.sqlstate = ERRCODE_INTERNAL_ERROR;
        caught.message = psprintf("assignment_v3 internal error: %s", e.what());
    } catch (...) {
        caught.sqlstate = ERRCODE_INTERNAL_ERROR;
        caught.message = pstrdup("assignment_v3 internal error: unknown exception");
    }
}

void raise(const CaughtError& caught) {
    if (caught.pg_error != nullptr) {
        ReThrowError(caught.pg_error);
    }
    ereport(ERROR, (errcode(caught.sqlstate), errmsg("%s", caught.message),
                    caught.detail ? errdetail("%s", caught.detail) : 0,
                    caught.hint ? errhint("%s", caught.hint) : 0));
    pg_unreachable();
}

}  // namespace av3::pg::detail
