// Items staged during a transaction for something to do later in it (at the end of a
// statement, or at commit), which must not survive the work that staged them: each item
// remembers the (sub)transaction level that staged it; a subtransaction that rolls back drops
// its items, one that commits hands them to its parent; the end of the transaction drops what
// is left. The owner wires on_subtransaction_end() and clear() to Postgres' callbacks.
#pragma once

#include <algorithm>
#include <vector>

namespace av3::pg {

template <typename T>
class TransactionStaged {
public:
    void stage(int level, T item) { items_.push_back(Entry{level, std::move(item)}); }
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

    void clear() { items_.clear(); }

private:
    struct Entry {
        int level;
        T item;
    };
    std::vector<Entry> items_;
};

}  // namespace av3::pg
