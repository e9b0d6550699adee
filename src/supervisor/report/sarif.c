/* SPDX-License-Identifier: MIT */
/* sarif.c: SARIF 2.1.0 for code-scanning UIs. One rule per finding
 * kind, one result per finding group located at its creation site (relative
 * to the working directory when inside it), the finalization stack as
 * related locations. */
#include "config.h"

#include "supervisor/report/report.h"
#include "common/pyframe.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/report/file.h"

struct rule {
        const char *id, *name, *short_text, *help;
};

static const struct rule rules[] = {
        { "off-thread-finalization", "OffThreadFinalization",
          "A QObject was destroyed outside the thread that owns it.",
          "Qt requires a QObject to be destroyed in its owning thread or through deleteLater(). "
          "CPython's cyclic garbage collector runs in whichever thread triggers it, so Qt objects "
          "held in reference cycles (often through a non-QObject Qt item or a bound method stored "
          "on self) can be destroyed by a worker thread: crashes, memory corruption, deadlocks. "
          "Fix: break the cycle (weakref, explicit cleanup), or disable automatic collection "
          "(gc.disable()) and call gc.collect() from a QTimer in the GUI thread." },
        { "thread-warning", "QtThreadWarning",
          "Qt warned that an object was used from a thread that does not own it.",
          "Qt printed a wrong-thread warning (timers, socket notifiers, children of objects in "
          "another thread). Under Python this usually means a __del__ or a finalizer touched a "
          "Qt object while the garbage collector ran in a worker thread. Move such cleanup to "
          "the owning thread (deleteLater, a queued call) or collect from the GUI thread." },
        { "at-risk-cycle", "AtRiskCycle",
          "An unreachable reference cycle holds a QObject that would die in whichever thread collects it.",
          "The cycle was collected in the GUI thread here (--threads 0 or --strict), but CPython's "
          "cyclic collector runs in whichever thread triggers it: in a worker thread the QObject it "
          "holds would be destroyed off its thread. Fix: break the cycle (weakref, explicit cleanup), "
          "or disable automatic collection (gc.disable()) and call gc.collect() from a QTimer in the "
          "GUI thread." },
};

/* The rule of each finding kind. */
static size_t
rule_index (enum finding_kind kind)
{
        switch (kind) {
        case FINDING_THREAD_WARNING: return 1;
        case FINDING_AT_RISK_CYCLE: return 2;
        default: return 0;
        }
}

static json_t *
location (const char *cwd, const char *file, long line, const char *message)
{
        size_t n = strlen (cwd);
        json_t *artifact;
        if (strncmp (file, cwd, n) == 0 && file[n] == '/')
                artifact = json_pack ("{s:s, s:s}", "uri", file + n + 1, "uriBaseId", "%SRCROOT%");
        else
                artifact = json_pack ("{s:s+}", "uri", "file://", file);
        json_t *loc = json_pack ("{s:{s:o, s:{s:I}}}", "physicalLocation", "artifactLocation", artifact,
                                 "region", "startLine", (json_int_t) (line > 0 ? line : 1));
        if (message)
                json_object_set_new (loc, "message", json_pack ("{s:s}", "text", message));
        return loc;
}

static json_t *
result_of (const struct result_finding *f, const char *cwd)
{
        size_t rule = rule_index (f->kind);
        /* The level says what it means for the verdict: an error only for
         * what makes it a race (a suppressed one keeps its level and says
         * it is suppressed). */
        char *text = NULL;
        if (asprintf (&text, "%s, %llu times.%s%s%s Fix: %s.", f->title, (unsigned long long) f->count,
                      f->died_inside ? " Destroyed by C++: " : "", f->died_inside ? f->died_inside : "",
                      f->died_inside ? "." : "", f->fix) < 0)
                text = NULL;
        json_t *res = json_pack ("{s:s, s:I, s:s, s:{s:s}}", "ruleId", rules[rule].id, "ruleIndex",
                                 (json_int_t) rule, "level", f->role == ROLE_WARNING ? "warning" : "error",
                                 "message", "text", text ? text : rules[rule].short_text);
        free (text);

        /* Located at the creation site, or else where the warning came from. */
        const char *stack = f->creation_site && *f->creation_site ? f->creation_site : f->finalization_stack;
        json_t *locations = json_array ();
        struct pyframe fr;
        if (stack && pyframe_parse (stack, strlen (stack), &fr)) {
                json_t *loc = location (cwd, fr.file, fr.line, NULL);
                const char *source = stack == f->creation_site ? f->creation_source : f->finalization_source;
                if (source)
                        json_object_set_new (json_object_get (json_object_get (loc, "physicalLocation"), "region"),
                                             "snippet", json_pack ("{s:s}", "text", source));
                json_array_append_new (locations, loc);
        }
        json_object_set_new (res, "locations", locations);

        json_t *related = json_array ();
        int id = 1;
        for (const char *p = f->finalization_stack; pyframe_next (&p, &fr);) {
                char *msg = NULL;
                asprintf (&msg, "finalized from %s", fr.function);
                json_t *loc = location (cwd, fr.file, fr.line, msg ? msg : "finalized here");
                json_object_set_new (loc, "id", json_integer (id++));
                json_array_append_new (related, loc);
                free (msg);
        }
        json_object_set_new (res, "relatedLocations", related);
        if (f->suppressed_by)
                json_object_set_new (res, "suppressions",
                                     json_pack ("[{s:s, s:s}]", "kind", "external", "justification",
                                                f->suppressed_by));
        json_t *properties = json_pack ("{s:s, s:s, s:s, s:I, s:s}", "qtClass", f->qt_class,
                                        "ownerThread", f->owner_thread, "finalizingThread",
                                        f->finalizing_thread, "count", (json_int_t) f->count,
                                        "name", f->name);
        /* A finding of a child process of the run: which one. */
        if (f->process && f->process_index > 0) {
                json_object_set_new (properties, "processId", json_integer (f->process->pid));
                if (f->process->xdist_worker[0])
                        json_object_set_new (properties, "xdistWorker", json_string (f->process->xdist_worker));
        }
        json_object_set_new (res, "properties", properties);
        return res;
}

bool
report_write_sarif (const struct run_result *r, const char *path, char *error, size_t size)
{
        char cwd[PATH_MAX];
        if (!getcwd (cwd, sizeof cwd))
                strcpy (cwd, "/");
        json_t *rule_array = json_array ();
        for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
                json_array_append_new (rule_array,
                                       json_pack ("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}",
                                                  "id", rules[i].id, "name", rules[i].name,
                                                  "shortDescription", "text", rules[i].short_text,
                                                  "fullDescription", "text", rules[i].help,
                                                  "help", "text", rules[i].help,
                                                  "defaultConfiguration", "level", "error"));
        json_t *results = json_array ();
        for (size_t i = 0; i < r->n_findings; i++)
                json_array_append_new (results, result_of (&r->findings[i], cwd));
        char *root = NULL;
        asprintf (&root, "file://%s/", strcmp (cwd, "/") == 0 ? "" : cwd);
        json_t *doc = json_pack (
                "{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:o}}, s:o, s:{s:{s:s}},"
                " s:[{s:b, s:i}]}]}",
                "$schema", "https://json.schemastore.org/sarif-2.1.0.json",
                "version", "2.1.0",
                "runs",
                "tool", "driver", "name", "qgc-check", "version", QGC_VERSION,
                "informationUri", "https://qgc-check.invalid/", "rules", rule_array,
                "results", results,
                "originalUriBaseIds", "%SRCROOT%", "uri", root ? root : "file:///",
                "invocations", "executionSuccessful",
                r->verdict == VERDICT_CLEAN || r->verdict == VERDICT_RACE, "exitCode", r->exit_code);
        free (root);
        return report_file_write_json (doc, "SARIF", path, error, size);
}
