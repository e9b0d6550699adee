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
                size_t i = index_of (key);
                return i == npos ? nullptr : &cells[i].info;
        }

        /* The entry of key, new (its info to be filled in by the caller,
         * field by field: no copy of a whole Info per object) or the one
         * there already. */
        Info *insert (Key *key)
        {
                if ((used + 1) * 2 > capacity)
                        grow ();
                size_t i = hash (key);
                size_t tomb = npos;
                for (;; i = (i + 1) & mask) {
                        Slot &s = cells[i];
                        if (s.key == key)
                                return &s.info;
                        if (s.key == nullptr)
                                break;
                        if (s.key == tombstone () && tomb == npos)
                                tomb = i;
                }
                if (tomb != npos)
                        i = tomb;
                else
                        used++;
                cells[i].key = key;
                live++;
                return &cells[i].info;
        }

        void insert (Key *key, const Info &info) { *insert (key) = info; }

        size_t size () const { return live; }

        /* Calls fn (key, info) for every live entry. */
        template <typename Fn> void for_each (Fn fn)
        {
                for (size_t i = 0; i < capacity; i++)
                        if (cells[i].key && cells[i].key != tombstone ())
                                fn (cells[i].key, cells[i].info);
        }

        /* Removes key's entry, first calling fn (info) with it: the caller
         * copies what it needs, nothing more. False if key is not there. */
        template <typename Fn> bool take (Key *key, Fn fn)
        {
                size_t i = index_of (key);
                if (i == npos)
                        return false;
                fn (cells[i].info);
                live--;
                /* A slot before an empty one ends every probe that reaches
                 * it: it becomes empty, and so do the tombstones before
                 * it. Objects that die soon after they were made (most of
                 * them) then leave no tombstone to probe past or to clear
                 * by rehashing. */
                if (cells[(i + 1) & mask].key != nullptr) {
                        cells[i].key = tombstone ();
                        return true;
                }
                cells[i].key = nullptr;
                used--;
                for (size_t j = (i - 1) & mask; cells[j].key == tombstone (); j = (j - 1) & mask) {
                        cells[j].key = nullptr;
                        used--;
                }
                return true;
        }

        bool take (Key *key, Info *out)
        {
                return take (key, [out] (const Info &info) { *out = info; });
        }

private:
        struct Slot {
                Key *key;
                Info info;
        };
        static constexpr size_t npos = ~(size_t) 0;
        std::vector<Slot> buckets;
        /* buckets' data, size and size - 1, kept: the hooks read them for every
         * object, and a vector's size is a division by sizeof (Slot). */
        Slot *cells = nullptr;
        size_t capacity = 0;
        size_t mask = 0;
        size_t used = 0; /* live + tombstones */
        size_t live = 0;

        static Key *tombstone () { return reinterpret_cast<Key *> (uintptr_t (1)); }
        size_t hash (Key *key) const
        {
                uintptr_t k = reinterpret_cast<uintptr_t> (key);
                return (size_t) ((k >> 4) * 0x9e3779b97f4a7c15ull >> 16) & mask;
        }
        size_t index_of (Key *key) const
        {
                if (!cells)
                        return npos;
                for (size_t i = hash (key);; i = (i + 1) & mask) {
                        if (cells[i].key == key)
                                return i;
                        if (cells[i].key == nullptr)
                                return npos;
                }
        }
        void grow ()
        {
                std::vector<Slot> old;
                old.swap (buckets);
                size_t size = 1024;
                while (size < live * 4)
                        size *= 2;
                buckets.assign (size, Slot { nullptr, Info {} });
                cells = buckets.data ();
                capacity = size;
                mask = size - 1;
                used = live = 0;
                for (Slot &s : old)
                        if (s.key && s.key != tombstone ())
                                insert (s.key, s.info);
        }
};


} // namespace qgc
