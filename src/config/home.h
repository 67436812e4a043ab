/*
 * home.h — $OXIOS_HOME (default ~/.oxios) and what lives in it:
 * config.toml, oxios.db, workspace/, logs/, run/.
 */
#ifndef OXIOS_CONFIG_HOME_H
#define OXIOS_CONFIG_HOME_H

#define HOME_DIR_MODE 0700
#define HOME_FILE_MODE 0600

/*
 * Whether $OXIOS_HOME is usable: unset (~/.oxios), or an absolute path
 * (or one starting with ~/).  Empty and relative are errors: an empty one
 * must not quietly mean ~/.oxios, and a relative one would name another
 * directory in each working directory.  Returns 0, or -1 with *cause
 * (caller frees).
 */
int home_check(char **cause);
/* The home directory, absolute and normalised.  New string (caller frees). */
char *home_dir(void);
/* A path inside it ("config.toml").  New string (caller frees). */
char *home_path(const char *name);
/*
 * Create the home directory and its workspace/, logs/, run/ (0700) if
 * missing.  Existing ones are left as they are (`oxios doctor` reports
 * loose permissions).  Returns 0, or -1 with *cause (caller frees).
 */
int home_ensure(char **cause);

#endif
