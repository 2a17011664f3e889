#!/usr/bin/env bash
# src/banned.h: the build refuses sprintf, strcpy, strcat, atoi, atol and
# atof in the program's sources (the compile command the Makefile uses for
# them is tried on a file that calls each one).
source "$(dirname "$0")/lib.sh"
cmd=$(make -s -n -C "$ROOT" BUILD="$tmp/b" "$tmp/b/obj/src/buf.o" | grep -m1 -- ' -c src/buf.c')
check "the Makefile compiles src/ with -include src/banned.h" eval '[[ "$cmd" == *"-include src/banned.h"* ]]'
for call in 'sprintf(b, "%d", 1)' 'strcpy(b, "x")' 'strcat(b, "x")' 'atoi(b)' 'atol(b)' 'atof(b)'; do
    printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nvoid f(char *b);\nvoid f(char *b) { (void)(%s); }\n' "$call" >"$tmp/uses.c"
    out=$(cd "$ROOT" && eval "${cmd/ -c src\/buf.c -o */ -c $tmp/uses.c -o $tmp/uses.o}" 2>&1)
    check "${call%%(*} fails the build" eval '[[ "$out" == *poisoned* ]]'
done
printf '#include <stdio.h>\nvoid f(char *b);\nvoid f(char *b) { snprintf(b, 4, "%%d", 1); }\n' >"$tmp/ok.c"
check "...while snprintf builds" eval '(cd "$ROOT" && eval "${cmd/ -c src\/buf.c -o */ -c $tmp/ok.c -o $tmp/ok.o}")'
finish
