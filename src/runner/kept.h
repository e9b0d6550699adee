/* SPDX-License-Identifier: MIT */
/* kept.h: strings the runner keeps in its own memory until a finding
 * needs them.
 *
 * Every distinct creation stack and every test name is kept here, in the
 * runner's own memory, deduplicated, whether or not it ever becomes part
 * of a finding; only the ones a finding refers to are copied into the
 * channel's string area, as the finding is recorded (in the same process,
 * so before any crash). A big suite's millions of objects from hundreds of
 * thousands of sites thus fill nothing the report needs.
 *
 * A kept string is named by a handle (0: none), which the probe stores in
 * place of a channel string id (ObjectInfo.creation_stack and
 * creation_test, probe_thread_info.stack). A creation stack may name one
 * of its lines as its site: the call that made the object.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/channel.h"

/* Keeps s (a copy), or finds it kept already. 0 for NULL or "" or when
 * memory runs out. Thread-safe. */
uint32_t kept_add (const char *s);

/* The text of a handle, NULL for 0 or an unknown one. Lock-free. */
const char *kept_text (uint32_t handle);

/* Names line number `line` (0: the first) of a kept stack as its site,
 * unless it has one already. Thread-safe. */
void kept_set_site (uint32_t handle, unsigned line);

/* The handle's string as a channel string id, copied into ch's area on
 * first use (channel_intern_finding) and remembered. With add false,
 * nothing is copied: its id if the channel has it already, else 0. Any thread, not in a
 * signal handler. */
uint32_t kept_in_channel (struct channel *ch, uint32_t handle, bool add);

/* The same for its site's line (with its newline); 0 when it has none. */
uint32_t kept_site_in_channel (struct channel *ch, uint32_t handle, bool add);

/* The process has a new, empty channel (a checked fork child): the ids
 * remembered are the old channel's. One thread. */
void kept_channel_replaced (void);

/* In a forked child (its only thread): the lock is usable again. */
void kept_forked_child (void);
