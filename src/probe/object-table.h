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
                return i == npos ? nullptr : &infos[i];
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
                        Key *k = keys[i];
                        if (k == key)
                                return &infos[i];
                        if (k == nullptr)
                                break;
                        if (k == tombstone () && tomb == npos)
                                tomb = i;
                }
                if (tomb != npos)
                        i = tomb;
                else
                        used++;
                keys[i] = key;
                live++;
                return &infos[i];
        }

        void insert (Key *key, const Info &info) { *insert (key) = info; }

        size_t size () const { return live; }

        /* Calls fn (key, info) for every live entry. */
        template <typename Fn> void for_each (Fn fn)
        {
                for (size_t i = 0; i < capacity; i++)
                        if (keys[i] && keys[i] != tombstone ())
                                fn (keys[i], infos[i]);
        }

        /* Removes key's entry, first calling fn (info) with it: the caller
         * copies what it needs, nothing more. False if key is not there. */
        template <typename Fn> bool take (Key *key, Fn fn)
        {
                size_t i = index_of (key);
                if (i == npos)
                        return false;
                fn (infos[i]);
                live--;
                /* A slot before an empty one ends every probe that reaches
                 * it: it becomes empty, and so do the tombstones before
                 * it. Objects that die soon after they were made (most of
                 * them) then leave no tombstone to probe past or to clear
                 * by rehashing. */
                if (keys[(i + 1) & mask] != nullptr) {
                        keys[i] = tombstone ();
                        return true;
                }
                keys[i] = nullptr;
                used--;
                for (size_t j = (i - 1) & mask; keys[j] == tombstone (); j = (j - 1) & mask) {
                        keys[j] = nullptr;
                        used--;
                }
                return true;
        }

        bool take (Key *key, Info *out)
        {
                return take (key, [out] (const Info &info) { *out = info; });
        }

private:
        static constexpr size_t npos = ~(size_t) 0;
        /* Keys apart from what is known of them: a probe reads only keys
         * (eight to a cache line), and most objects' entries are written
         * once and never read again. */
        std::vector<Key *> key_store;
        std::vector<Info> info_store;
        /* The stores' data, size and size - 1, kept: the hooks read them
         * for every object. */
        Key **keys = nullptr;
        Info *infos = nullptr;
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
                if (!keys)
                        return npos;
                for (size_t i = hash (key);; i = (i + 1) & mask) {
                        if (keys[i] == key)
                                return i;
                        if (keys[i] == nullptr)
                                return npos;
                }
        }
        void grow ()
        {
                std::vector<Key *> old_keys;
                std::vector<Info> old_infos;
                old_keys.swap (key_store);
                old_infos.swap (info_store);
                size_t size = 1024;
                while (size < live * 4)
                        size *= 2;
                key_store.assign (size, nullptr);
                info_store.assign (size, Info {});
                keys = key_store.data ();
                infos = info_store.data ();
                capacity = size;
                mask = size - 1;
                used = live = 0;
                for (size_t i = 0; i < old_keys.size (); i++)
                        if (old_keys[i] && old_keys[i] != tombstone ())
                                insert (old_keys[i], old_infos[i]);
        }
};


} // namespace qgc
