/*
 * log.h — leveled logging as text or JSON lines, to stderr or a file.
 *
 * The level is checked before anything is formatted.  Never log a secret.
 */
#ifndef OXIOS_UTIL_LOG_H
#define OXIOS_UTIL_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };
enum log_format { LOG_TEXT, LOG_JSON };

extern enum log_level log_threshold;

/* Parse "debug"|"info"|"warn"|"error"|"off"; -1 if unknown. */
int log_level_parse(const char *s);
/* Parse "text"|"json"; -1 if unknown. */
int log_format_parse(const char *s);
void log_set_level(enum log_level level);
void log_set_format(enum log_format format);
/*
 * Send records to `path` (appended, created 0600) instead of stderr;
 * NULL returns to stderr.  Returns 0, or -1 with *cause (caller frees).
 */
int log_set_file(const char *path, char **cause);
void log_close(void);

void log_write(enum log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log at error level and exit(1). */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#define log_at(lvl, ...) \
	do { \
		if ((int)(lvl) >= \
		    (int)__atomic_load_n(&log_threshold, __ATOMIC_RELAXED)) \
			log_write((lvl), __func__, __VA_ARGS__); \
	} while (0)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)

#endif
