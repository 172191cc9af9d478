/* main.c: the `filmrestore` command: dispatches to the subcommands in cli_commands.h. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
#define FR_COMMAND(name, help) {#name, fr_cmd_##name, help},
#include "cli_commands.h"
#undef FR_COMMAND
};

/* Command names are C identifiers in the table; users type '-' for '_'
 * (colorize-image), and either spelling is accepted. */
static int same_name(const char *typed, const char *name)
{
    for (; *typed && *name; typed++, name++)
        if (*typed != *name && !(*typed == '-' && *name == '_'))
            return 0;
    return *typed == *name;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: filmrestore COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s", commands[i].name);
        for (char *c = name; *c; c++)
            if (*c == '_')
                *c = '-';
        fprintf(f, "  %-18s %s\n", name, commands[i].help);
    }
    fprintf(f, "\n'filmrestore COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("filmrestore %s\n", FR_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (same_name(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fr_cli_error("unknown command '%s' (see 'filmrestore --help')", argv[1]);
    return 2;
}
