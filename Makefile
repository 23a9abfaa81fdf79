# assignment_v3: PGXS build of the extension (C++17), plus the Postgres-side test suites.
#
#   make && make install      build and install into the server of `pg_config`
#   make installcheck         pg_regress (sql/, expected/), isolation (test/isolation) and TAP
#                             (test/tap) against throwaway instances; see scripts/test for the
#                             full run (unit tests, pgTAP) as root on a fresh machine.

EXTENSION = assignment_v3
MODULE_big = assignment_v3
DATA = $(wildcard src/sql/assignment_v3--*.sql)

CORE_SOURCES = $(wildcard src/core/*.cpp)
PG_SOURCES = $(wildcard src/pg/*.cpp)
OBJS = $(CORE_SOURCES:.cpp=.o) $(PG_SOURCES:.cpp=.o)

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=btree_gist

ISOLATION = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --load-extension=btree_gist

TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/tap/*.pl))

PG_CPPFLAGS = -I$(srcdir)/src
# -MMD -MP: every object also depends on the headers it includes (see the -include below), so
# a changed struct rebuilds every file that uses it.
PG_CXXFLAGS = -std=c++17 -Wno-register -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
              -Wno-cast-function-type -Werror -MMD -MP
EXTRA_CLEAN = $(OBJS:.o=.d)
SHLIB_LINK = -lstdc++

# No LLVM bitcode for JIT inlining: the extension's functions are not worth inlining into
# query plans, and Debian's clang would need its own C++ flags.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# src/core never sees Postgres headers: it is compiled without the server include path, so
# an `#include "postgres.h"` there is a compile error (see also CMakeLists.txt).
src/core/%.o: src/core/%.cpp
	$(CXX) -std=c++17 -O2 -g -fPIC -Wall -Wextra -Wpedantic -Werror -MMD -MP -I$(srcdir)/src -c -o $@ $<

-include $(OBJS:.o=.d)
