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

void
creation_record (PerThread &me, QObject *obj)
{
        threads_enter (me);
        threads_count_object (me, true);
        if (__builtin_expect (!me.registered, 0))
                threads_register (me, obj->thread ());
        uint32_t test = __atomic_load_n (host->current_test, __ATOMIC_RELAXED);
        uint32_t stack;
        probe_frame_point at;
        host->capture_creation (&stack, &at);
        std::lock_guard<ProbeLock> guard (lock);
        /* Filled in place, field by field. */
        ObjectInfo &info = young_add (me, obj);
        info.qt_class = nullptr;
        info.py_class = 0;
        info.creation_stack = stack;
        info.creation_test = test;
        info.creator = me.tid;
        info.created_at = at;
        info.filters = nullptr;
        info.origin = ORIGIN_UNKNOWN;
        info.name_put_off = false;
        info.class_library = 0;
}

uint32_t
creation_stack_of (QObject *obj, const char **qt_class)
{
        std::lock_guard<ProbeLock> guard (lock);
        ObjectInfo *info = objects.find (obj);
        if (!info)
                return 0;
        if (qt_class)
                *qt_class = info->qt_class;
        return info->creation_stack;
}

} // namespace qgc::probe
