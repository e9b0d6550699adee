/* SPDX-License-Identifier: MIT */
/* file.h: atomic report files, shared by the file renderers. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Opens a temporary file beside path (or stdout for "-"). */
FILE *report_file_begin (const char *path, char **tmp_path, char *error, size_t size);

/* Flushes and renames the temporary file over path. Frees tmp_path. */
bool report_file_commit (FILE *f, const char *path, char *tmp_path, char *error, size_t size);

/* Writes doc (NULL: it could not be built, named by what) to path as
 * indented JSON, atomically; takes the reference to doc. */
bool report_file_write_json (json_t *doc, const char *what, const char *path, char *error, size_t size);
