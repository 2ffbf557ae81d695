/* args: argc/argv and environment lookups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    /* argv[0] is the path of the binary (PROGRAM.VARIANT): print only PROGRAM */
    const char *slash = strrchr(argv[0], '/');
    const char *base = slash ? slash + 1 : argv[0];
    printf("argv[0] program=%.*s\n", (int)strcspn(base, "."), base);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s] len=%zu\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc]==NULL: %d\n", argv[argc] == NULL);

    const char *v = getenv("PYTRANS_TEST_VAR");
    printf("PYTRANS_TEST_VAR=%s\n", v ? v : "(unset)");
    v = getenv("PYTRANS_SURELY_UNSET_VARIABLE");
    printf("PYTRANS_SURELY_UNSET_VARIABLE=%s\n", v ? v : "(unset)");

    int found = 0, n = 0;
    for (char **e = environ; *e; e++) {
        n++;
        if (strncmp(*e, "PYTRANS_TEST_VAR=", 17) == 0) found = 1;
    }
    printf("environ has PYTRANS_TEST_VAR: %d, environ nonempty: %d\n", found, n > 0);

    setenv("PYTRANS_NEW", "set-by-guest", 1);
    printf("after setenv: %s\n", getenv("PYTRANS_NEW"));
    unsetenv("PYTRANS_NEW");
    printf("after unsetenv: %s\n", getenv("PYTRANS_NEW") ? "still set" : "(unset)");
    return argc;
}
