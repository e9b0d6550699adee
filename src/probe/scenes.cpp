/* SPDX-License-Identifier: MIT */
/* scenes.cpp: graphics objects and their scenes (see scenes.h). */
#include "config.h"

#include <QtCore/QMetaObject>
#include <QtCore/QObject>
#include <QtWidgets/QGraphicsObject>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <dlfcn.h>

#include "scenes.h"
#include "objects.h"
#include "shared.h"

namespace qgc::probe {

namespace {

/* Under the lock. Graphics objects: the scene each was in when the GUI
 * thread last looked, and each such scene's vtable pointer at that look
 * (it changes once the scene's own destructor runs). */
struct GraphicsEntry {
        QObject *scene; /* at the last look, or null */
        uint32_t slot;  /* in graphics_slots */
};
std::unordered_map<QObject *, GraphicsEntry> item_scene;
std::unordered_map<QObject *, const void *> scene_vptr;
/* The same objects in a list the GUI thread walks a bounded stretch of per
 * tick (a null slot is free), so a scene of a million items costs each
 * tick no more than a small one. */
std::vector<QObject *> graphics_slots;
std::vector<uint32_t> free_graphics_slots;
size_t graphics_cursor;
constexpr size_t scene_looks_per_tick = 20000;
/* QtWidgets' QGraphicsItem::scene() and QGraphicsObject's meta-object,
 * once found (any thread: no lock); the QtCore's directory, set once. */
using SceneFn = QObject *(*) (const void *item);
SceneFn item_scene_fn;
std::atomic<const QMetaObject *> graphics_object_meta;
std::atomic<int64_t> widgets_looked_ns;
std::string qtcore_dir;

/* The QGraphicsItem inside a QGraphicsObject (a base class at a fixed
 * offset: the layout of public classes is part of Qt's ABI). */
const void *
as_graphics_item (QObject *obj)
{
        return static_cast<const QGraphicsItem *> (static_cast<QGraphicsObject *> (obj));
}

} // namespace

void
scenes_set_qtcore (const char *qtcore_path)
{
        qtcore_dir = qtcore_path;
        qtcore_dir.erase (qtcore_dir.find_last_of ('/') == std::string::npos
                                  ? 0
                                  : qtcore_dir.find_last_of ('/'));
}

/* The QtWidgets next to the QtCore in use. */
void
scenes_find_widgets ()
{
        if (graphics_object_meta.load (std::memory_order_acquire) || qtcore_dir.empty ())
                return;
        int64_t now = now_ns (), last = widgets_looked_ns.load ();
        if (now - last < 100000000 || !widgets_looked_ns.compare_exchange_strong (last, now))
                return;
        void *widgets = dlopen ((qtcore_dir + "/libQt6Widgets.so.6").c_str (), RTLD_NOW | RTLD_NOLOAD);
        if (!widgets)
                return;
        auto fn = (SceneFn) dlsym (widgets, "_ZNK13QGraphicsItem5sceneEv");
        auto meta = (const QMetaObject *) dlsym (widgets, "_ZN15QGraphicsObject16staticMetaObjectE");
        if (fn && meta) {
                item_scene_fn = fn;
                graphics_object_meta.store (meta, std::memory_order_release);
        }
        dlclose (widgets); /* stays loaded: the binding holds it */
}

const QMetaObject *
scenes_graphics_object_meta ()
{
        return graphics_object_meta.load (std::memory_order_acquire);
}

void
scenes_watch (QObject *obj)
{
        if (item_scene.count (obj))
                return;
        uint32_t slot;
        if (free_graphics_slots.empty ()) {
                slot = (uint32_t) graphics_slots.size ();
                graphics_slots.push_back (obj);
        } else {
                slot = free_graphics_slots.back ();
                free_graphics_slots.pop_back ();
                graphics_slots[slot] = obj;
        }
        item_scene.emplace (obj, GraphicsEntry { nullptr, slot });
}

/* Objects are in the table, so none has reached ~QObject. */
__attribute__ ((noinline)) void /* one function to profile (tools/bench-hooks) */
scenes_look ()
{
        std::lock_guard<ProbeLock> guard (hot.lock);
        if (item_scene.empty ())
                return;
        size_t n = graphics_slots.size ();
        for (size_t done = 0; done < n && done < scene_looks_per_tick; done++) {
                if (graphics_cursor >= n)
                        graphics_cursor = 0;
                QObject *obj = graphics_slots[graphics_cursor++];
                if (!obj)
                        continue;
                QObject *scene = item_scene_fn (as_graphics_item (obj));
                item_scene[obj].scene = scene;
                if (scene && objects.find (scene))
                        scene_vptr.emplace (scene, vptr_of (scene));
        }
}

/* A live scene: its vtable pointer unchanged since the look. */
bool
scenes_forget (QObject *obj)
{
        if (item_scene.empty () && scene_vptr.empty ())
                return false;
        bool live = false;
        auto it = item_scene.find (obj);
        if (it != item_scene.end ()) {
                QObject *scene = it->second.scene;
                graphics_slots[it->second.slot] = nullptr;
                free_graphics_slots.push_back (it->second.slot);
                item_scene.erase (it);
                if (scene && objects.find (scene)) {
                        auto sv = scene_vptr.find (scene);
                        live = sv != scene_vptr.end () && sv->second == vptr_of (scene);
                }
        }
        scene_vptr.erase (obj);
        return live;
}

} // namespace qgc::probe
