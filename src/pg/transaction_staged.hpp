// Items staged during a transaction for something to do later in it (at the end of a
// statement, or at commit), which must not survive the work that staged them: each item
// remembers the (sub)transaction level that staged it; a subtransaction that rolls back drops
// its items, one that commits hands them to its parent; the end of the transaction drops what
// is left. The owner wires on_subtransaction_event() and clear() to Postgres' callbacks.
#pragma once

#include <algorithm>
#include <vector>

#include "pg/error_boundary.hpp"

namespace av3::pg {

template <typename T>
class TransactionStaged {
public:
    // Staged by the current (sub)transaction.
    void stage(T item) {
        const int level = pg_call([] { return GetCurrentTransactionNestLevel(); });
        items_.push_back(Entry{level, std::move(item)});
    }
    bool empty() const { return items_.empty(); }

    // Everything staged, in order; the list is emptied.
    std::vector<T> take() {
        std::vector<T> out;
        out.reserve(items_.size());
        for (Entry& e : items_) {
            out.push_back(std::move(e.item));
        }
        items_.clear();
        return out;
    }

    // Visits the items without taking them.
    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (const Entry& e : items_) {
            fn(e.item);
        }
    }

    // From the owner's SubXactCallback: a subtransaction that ends hands its items to its
    // parent, or drops them.
    void on_subtransaction_event(SubXactEvent event) {
        if (event == SUBXACT_EVENT_ABORT_SUB || event == SUBXACT_EVENT_COMMIT_SUB) {
            on_subtransaction_end(GetCurrentTransactionNestLevel(),
                                  event == SUBXACT_EVENT_COMMIT_SUB);
        }
    }

    void clear() { items_.clear(); }

private:
    // The subtransaction at `level` ended: kept by its parent, or dropped with it.
    void on_subtransaction_end(int level, bool committed) {
        if (committed) {
            for (Entry& e : items_) {
                e.level = std::min(e.level, level - 1);
            }
        } else {
            items_.erase(std::remove_if(items_.begin(), items_.end(),
                                        [level](const Entry& e) { return e.level >= level; }),
                         items_.end());
        }
    }

    struct Entry {
        int level;
        T item;
    };
    std::vector<Entry> items_;
};

}  // namespace av3::pg
