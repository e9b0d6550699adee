/* SPDX-License-Identifier: MIT */
/* scenes.h: graphics objects and the scenes they are in. A graphics item
 * leaves its scene inside ~QGraphicsItem, before the QObject hook fires:
 * the GUI thread notes each graphics object's scene as it goes, so that
 * the remove hook can tell whether the object died in a live scene.
 * QtWidgets is looked up at run time: the probe must not load a Qt of its
 * own.
 */
#pragma once

#include <QtCore/QMetaObject>
#include <QtCore/QObject>

namespace qgc::probe {

/* qgc_probe_start: the QtCore in use, whose directory holds the
 * QtWidgets the binding will load. */
void scenes_set_qtcore (const char *qtcore_path);

/* Looks for QtWidgets, once the binding has loaded it; at most every
 * 100 ms until found. Any thread, never under the lock (dlopen takes the
 * loader's lock, and a library's constructors may create QObjects). */
void scenes_find_widgets ();

/* QGraphicsObject's meta-object once QtWidgets is found, else null. */
const QMetaObject *scenes_graphics_object_meta ();

/* Under the lock: a graphics object starts being looked at each tick. */
void scenes_watch (QObject *obj);

/* GUI thread, the GIL held: which scene each graphics object is in now,
 * a bounded stretch of them per call. Takes the lock. */
void scenes_look ();

/* Under the lock, as any object dies: forgets it as a graphics object or
 * scene; returns whether it was in a scene at the GUI thread's last look,
 * one still alive and not in its own destructor. */
bool scenes_forget (QObject *obj);

} // namespace qgc::probe
