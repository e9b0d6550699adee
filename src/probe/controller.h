/* SPDX-License-Identifier: MIT */
/* controller.h: the GUI thread's 50 ms tick. It beats the heartbeat the
 * supervisor's hang watch listens to, measures the loop's lateness, names
 * objects and threads, keeps the message handler, ends the run at the
 * duration limit.
 */
#pragma once

namespace qgc::probe {

/* The application object exists (its thread, which is the GUI thread):
 * the controller starts at the event loop's first iteration. */
void controller_start_soon ();

} // namespace qgc::probe
