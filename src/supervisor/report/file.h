/* SPDX-License-Identifier: MIT */
/* file.h: atomic report files, shared by the file renderers. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/* Opens a temporary file beside path (or stdout for "-"). */
FILE *report_file_begin (const char *path, char **tmp_path, char *error, size_t size);

/* Flushes and renames the temporary file over path. Frees tmp_path. */
bool report_file_commit (FILE *f, const char *path, char *tmp_path, char *error, size_t size);
