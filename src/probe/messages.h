/* SPDX-License-Identifier: MIT */
/* messages.h: the probe's Qt message handler. Qt's warnings that an
 * object was used from the wrong thread become findings (and evidence for
 * the next destruction in that thread); a qFatal message is reported
 * before the abort; every message then goes on to the handler installed
 * before ours.
 */
#pragma once

namespace qgc::probe {

/* Makes the probe's handler current again, chaining the one installed
 * since (the app's). Any thread, not from a hook. */
void messages_keep_handler ();

} // namespace qgc::probe
