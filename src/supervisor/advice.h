/* SPDX-License-Identifier: MIT */
/* advice.h: advice for a run as a whole: the hint that fits its findings,
 * and notes on what limits its result (the stress, the channel's limits).
 */
#pragma once

struct run_result;
struct options;

/* Fills r->hint and r->notes, once the verdict and the findings'
 * descriptions are known. */
void result_advise (struct run_result *r, const struct options *opts);
