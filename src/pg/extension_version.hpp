// Which version of the extension's SQL objects this library was built for, and which version is
// installed in the current database. They disagree in the window between installing a new
// library and running ALTER EXTENSION assignment_v3 UPDATE (or after installing an older
// library): the workers then wait, and the SQL functions that write refuse, rather than run
// code against a schema it was not written for. The triggers keep working in that window (they
// use only what every version has), so that applications do not notice it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace av3::pg {

// default_version of assignment_v3.control when the library was built (the Makefile passes it).
constexpr std::string_view kLibraryVersion = AV3_LIBRARY_VERSION;

// The installed version in the current database (pg_extension.extversion), nullopt when the
// extension is not created here. Runs inside a transaction; guarded.
std::optional<std::string> installed_version();

// For SQL functions that change data: refuses, with a message that says what to do, on a
// standby (nothing can be written there) and when the installed version is not the library's.
void require_writable_current_schema(const char* function);

}  // namespace av3::pg
