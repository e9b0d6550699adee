/* SPDX-License-Identifier: MIT */
/* creation.cpp: what the add hook records (see creation.h). */
#include "config.h"

#include <QtCore/QObject>

#include <cstdint>
#include <mutex>

#include "creation.h"
#include "names.h"
#include "shared.h"
#include "threads.h"

namespace qgc::probe {

void
creation_record (PerThread &me, QObject *obj)
{
        threads_enter (me);
        threads_count_object (me, true);
        if (!me.registered)
                threads_register (me, obj->thread ());
        ObjectInfo info { nullptr, 0, 0, host->current_test (), me.tid, { nullptr, nullptr, 0 }, nullptr,
                          ORIGIN_UNKNOWN, 0 };
        host->capture_creation (&info.creation_stack, &info.created_at);
        std::lock_guard<ProbeLock> guard (lock);
        objects.insert (obj, info);
        names_pending_add (me, obj, info.created_at.frame != nullptr);
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
