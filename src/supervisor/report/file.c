/* SPDX-License-Identifier: MIT */
/* file.c: checking and atomically writing report paths. */
#include "config.h"

#include "supervisor/report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/report/file.h"

bool
report_path_check (const char *path, const char *option, const char *script,
                   char *error, size_t size)
{
        if (strcmp (path, "-") == 0)
                return true;
        struct stat st, script_st;
        if (stat (path, &st) == 0) {
                if (S_ISDIR (st.st_mode)) {
                        snprintf (error, size, "--%s '%s' is a directory; give a file name", option, path);
                        return false;
                }
                if (script && stat (script, &script_st) == 0 && st.st_dev == script_st.st_dev &&
                    st.st_ino == script_st.st_ino) {
                        snprintf (error, size, "--%s '%s' is the script itself; refusing to overwrite it",
                                  option, path);
                        return false;
                }
        }
        char *copy = strdup (path);
        if (!copy) {
                snprintf (error, size, "out of memory");
                return false;
        }
        const char *dir = dirname (copy);
        bool ok = true;
        if (stat (dir, &st) < 0 && errno != ENOENT && errno != ENOTDIR) {
                snprintf (error, size, "--%s '%s': directory '%s' cannot be reached (%s); choose another path",
                          option, path, dir, strerror (errno));
                ok = false;
        } else if (stat (dir, &st) < 0 || !S_ISDIR (st.st_mode)) {
                snprintf (error, size, "--%s '%s': directory '%s' does not exist; create it first",
                          option, path, dir);
                ok = false;
        } else if (access (dir, W_OK | X_OK) < 0) {
                snprintf (error, size, "--%s '%s': directory '%s' is not writable; choose another path",
                          option, path, dir);
                ok = false;
        }
        free (copy);
        return ok;
}

FILE *
report_file_begin (const char *path, char **tmp_path, char *error, size_t size)
{
        *tmp_path = NULL;
        if (strcmp (path, "-") == 0)
                return stdout;
        char *copy = strdup (path);
        char *base_copy = strdup (path);
        char *tmp = NULL;
        FILE *f = NULL;
        if (!copy || !base_copy ||
            asprintf (&tmp, "%s/.%s.XXXXXX", dirname (copy), basename (base_copy)) < 0) {
                snprintf (error, size, "out of memory");
                goto out;
        }
        int fd = mkostemp (tmp, O_CLOEXEC);
        if (fd < 0) {
                snprintf (error, size, "cannot write '%s': %s", path, strerror (errno));
                free (tmp);
                goto out;
        }
        fchmod (fd, 0644);
        f = fdopen (fd, "w");
        if (!f) {
                close (fd);
                unlink (tmp);
                free (tmp);
                snprintf (error, size, "cannot write '%s': %s", path, strerror (errno));
                goto out;
        }
        *tmp_path = tmp;
out:
        free (copy);
        free (base_copy);
        return f;
}

bool
report_file_commit (FILE *f, const char *path, char *tmp_path, char *error, size_t size)
{
        if (!tmp_path) {
                fflush (f);
                return true;
        }
        bool ok = fflush (f) == 0 && fsync (fileno (f)) == 0;
        ok = (fclose (f) == 0) && ok;
        if (ok && rename (tmp_path, path) < 0)
                ok = false;
        if (!ok) {
                snprintf (error, size, "cannot write '%s': %s", path, strerror (errno));
                unlink (tmp_path);
        }
        free (tmp_path);
        return ok;
}

bool
report_file_write_json (json_t *doc, const char *what, const char *path, char *error, size_t size)
{
        if (!doc) {
                snprintf (error, size, "cannot build the %s report", what);
                return false;
        }
        char *tmp;
        FILE *f = report_file_begin (path, &tmp, error, size);
        if (!f) {
                json_decref (doc);
                return false;
        }
        json_dumpf (doc, f, JSON_INDENT (2) | JSON_ENSURE_ASCII);
        fputc ('\n', f);
        json_decref (doc);
        return report_file_commit (f, path, tmp, error, size);
}
