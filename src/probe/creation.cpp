/* SPDX-License-Identifier: MIT */
/* creation.cpp: what the add hook records (see creation.h). */
#include "config.h"

#include <QtCore/QObject>

#include <cstdint>
#include <mutex>

#include "creation.h"
#include "objects.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

namespace {

/* A new object's entry, filled in place, field by field. */
inline void
fill (ObjectInfo &info, const PerThread &me, uint32_t stack, uint32_t test, const probe_frame_point &at)
{
        info.qt_class = nullptr;
        info.py_class = 0;
        info.creation_stack = stack;
        info.creation_test = test;
        info.creator = me.tid;
        /* Field by field, each one load as wide as the store that the
         * runner has just made of it: a wider load spanning two of those
         * stores cannot take its value from them, and would wait until
         * they reach the cache (atomic loads: the compiler merges no
         * two). */
        info.created_at.frame = __atomic_load_n (&at.frame, __ATOMIC_RELAXED);
        info.created_at.code = __atomic_load_n (&at.code, __ATOMIC_RELAXED);
        info.created_at.instr = __atomic_load_n (&at.instr, __ATOMIC_RELAXED);
        info.filters = nullptr;
        info.origin = ORIGIN_UNKNOWN;
        info.put_off_ms = 0;
        info.class_library = 0;
}

} // namespace

void
creation_record (PerThread &me, QObject *obj)
{
        threads_enter (me);
        threads_count_object (me, true);
        if (__builtin_expect (!me.registered, 0))
                threads_register (me, obj->thread ());
        uint32_t test = __atomic_load_n (hot.current_test, __ATOMIC_RELAXED);
        uint32_t stack;
        probe_frame_point at;
        hot.capture_creation (&stack, &at);
        young_add (me, obj, [&] (ObjectInfo &info) { fill (info, me, stack, test, at); });
}

uint32_t
creation_stack_of (QObject *obj, const char **qt_class)
{
        std::lock_guard<ProbeLock> guard (hot.lock);
        ObjectInfo *info = objects.find (obj);
        if (!info)
                return 0;
        if (qt_class)
                *qt_class = info->qt_class;
        return info->creation_stack;
}

} // namespace qgc::probe
