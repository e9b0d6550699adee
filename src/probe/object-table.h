/* SPDX-License-Identifier: MIT */
/* object-table.h: every live QObject the probe watches -> what it knows.
 *
 * Open addressing with linear probing and tombstones: no allocation per
 * object on the hot path, only when the table grows. Not thread-safe: the
 * probe guards it with its own lock. Header-only so that the unit test
 * builds it without Qt.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qgc {

template <typename Key, typename Info>
class ObjectTable
{
public:
        Info *find (Key *key)
        {
                if (!buckets.size ())
                        return nullptr;
                for (size_t i = hash (key);; i = (i + 1) & mask ()) {
                        Slot &s = buckets[i];
                        if (s.key == key)
                                return &s.info;
                        if (s.key == nullptr)
                                return nullptr;
                }
        }

        void insert (Key *key, const Info &info)
        {
                if ((used + 1) * 2 > buckets.size ())
                        grow ();
                size_t i = hash (key);
                Slot *tomb = nullptr;
                for (;; i = (i + 1) & mask ()) {
                        Slot &s = buckets[i];
                        if (s.key == key) {
                                s.info = info;
                                return;
                        }
                        if (s.key == tombstone () && !tomb)
                                tomb = &s;
                        if (s.key == nullptr)
                                break;
                }
                Slot &target = tomb ? *tomb : buckets[i];
                if (!tomb)
                        used++;
                target.key = key;
                target.info = info;
                live++;
        }

        size_t size () const { return live; }

        /* Calls fn (key, info) for every live entry. */
        template <typename Fn> void for_each (Fn fn)
        {
                for (Slot &s : buckets)
                        if (s.key && s.key != tombstone ())
                                fn (s.key, s.info);
        }

        bool take (Key *key, Info *out)
        {
                Info *info = find (key);
                if (!info)
                        return false;
                *out = *info;
                Slot *slot = reinterpret_cast<Slot *> (reinterpret_cast<char *> (info) - offsetof (Slot, info));
                size_t i = (size_t) (slot - buckets.data ());
                live--;
                /* A slot before an empty one ends every probe that reaches
                 * it: it becomes empty, and so do the tombstones before
                 * it. Objects that die soon after they were made (most of
                 * them) then leave no tombstone to probe past or to clear
                 * by rehashing. */
                if (buckets[(i + 1) & mask ()].key != nullptr) {
                        slot->key = tombstone ();
                        return true;
                }
                slot->key = nullptr;
                used--;
                for (size_t j = (i - 1) & mask (); buckets[j].key == tombstone (); j = (j - 1) & mask ()) {
                        buckets[j].key = nullptr;
                        used--;
                }
                return true;
        }

private:
        struct Slot {
                Key *key;
                Info info;
        };
        std::vector<Slot> buckets;
        size_t used = 0; /* live + tombstones */
        size_t live = 0;

        static Key *tombstone () { return reinterpret_cast<Key *> (uintptr_t (1)); }
        size_t mask () const { return buckets.size () - 1; }
        size_t hash (Key *key) const
        {
                uintptr_t k = reinterpret_cast<uintptr_t> (key);
                return (size_t) ((k >> 4) * 0x9e3779b97f4a7c15ull >> 16) & mask ();
        }
        void grow ()
        {
                std::vector<Slot> old;
                old.swap (buckets);
                size_t size = 1024;
                while (size < live * 4)
                        size *= 2;
                buckets.assign (size, Slot { nullptr, Info {} });
                used = live = 0;
                for (Slot &s : old)
                        if (s.key && s.key != tombstone ())
                                insert (s.key, s.info);
        }
};


} // namespace qgc
