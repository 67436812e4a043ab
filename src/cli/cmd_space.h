/*
 * cmd_space.h — what `oxios space use` chose, for run and chat.
 */
#ifndef OXIOS_CLI_CMD_SPACE_H
#define OXIOS_CLI_CMD_SPACE_H

/* The space of this CLI's next runs ($OXIOS_HOME/space), or NULL.  New
 * string. */
char *cmd_space_used(void);

#endif
