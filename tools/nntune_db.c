/* nntune db list|export|import|merge: the tuning DB as JSON lines. */
#include <stdio.h>
#include <string.h>

#include "autotune/db.h"
#include "nntune.h"

static int fail(const char *what) {
    fprintf(stderr, "nntune db: %s: %s\n", what, nngpu_last_error());
    return 1;
}

/* argv: list|export [--db FILE] [OUT] ; import|merge [--db FILE] FILE... */
int nntune_db_main(int argc, char **argv) {
    if (argc < 1) {
        fprintf(stderr, "usage: nntune db list|export [--db FILE] [OUT.jsonl]\n"
                        "       nntune db import|merge [--db FILE] IN.jsonl|OTHER.db ...\n");
        return 2;
    }
    const char *cmd = argv[0], *path = NULL, *files[64];
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "--db") || !strcmp(argv[i], "--tuning-db")) && i + 1 < argc) path = argv[++i];
        else if (nf < 64) files[nf++] = argv[i];
    }
    if (!path) path = ng_db_default_path();
    if (!path) {
        fprintf(stderr, "nntune db: no cache folder; give --db FILE\n");
        return 2;
    }
    int writes = !strcmp(cmd, "import") || !strcmp(cmd, "merge");
    if (!writes && strcmp(cmd, "list") && strcmp(cmd, "export")) {
        fprintf(stderr, "nntune db: unknown command '%s'\n", cmd);
        return 2;
    }
    ng_db *db;
    if (ng_db_open(path, writes, &db) != NNGPU_OK) return fail(path);
    int rc = 0;
    if (!writes) {
        FILE *out = nf ? fopen(files[0], "w") : stdout;
        if (!out) {
            fprintf(stderr, "nntune db: cannot write '%s'\n", files[0]);
            rc = 1;
        } else {
            if (ng_db_export(db, out) != NNGPU_OK) rc = fail(path);
            if (out != stdout && fclose(out) != 0) rc = 1;
        }
    } else {
        for (int i = 0; i < nf && !rc; i++) {
            int imported = 0;
            if (!strcmp(cmd, "merge") && strstr(files[i], ".jsonl") == NULL) {
                /* merge another DB file: export it through a temporary stream */
                ng_db *other;
                FILE *tmp = tmpfile();
                if (!tmp || ng_db_open(files[i], 0, &other) != NNGPU_OK) {
                    if (tmp) fclose(tmp);
                    rc = fail(files[i]);
                    break;
                }
                nngpu_status st = ng_db_export(other, tmp);
                ng_db_close(other);
                rewind(tmp);
                if (st == NNGPU_OK) st = ng_db_import(db, tmp, &imported);
                fclose(tmp);
                if (st != NNGPU_OK) rc = fail(files[i]);
            } else {
                FILE *in = !strcmp(files[i], "-") ? stdin : fopen(files[i], "r");
                if (!in) {
                    fprintf(stderr, "nntune db: cannot read '%s'\n", files[i]);
                    rc = 1;
                    break;
                }
                if (ng_db_import(db, in, &imported) != NNGPU_OK) rc = fail(files[i]);
                if (in != stdin) fclose(in);
            }
            if (!rc) fprintf(stderr, "%s: %d results written to %s\n", files[i], imported, path);
        }
        if (!nf) fprintf(stderr, "nntune db %s: no input files\n", cmd);
    }
    ng_db_close(db);
    return rc;
}
