/*
 * curl_dl.h — libcurl, loaded with dlopen() on first use.
 *
 * libcurl brings some thirty shared libraries (TLS, Kerberos, LDAP ...)
 * whose loading and constructors cost milliseconds at every start.  Most
 * oxios commands, and every sandboxed worker, never speak HTTP, so the
 * binary does not link libcurl: the code that needs it includes this
 * header instead of <curl/curl.h>, calls curl_dl_load() once, and then uses
 * the usual curl_* names, which resolve to the loaded functions.
 */
#ifndef OXIOS_LLM_CURL_DL_H
#define OXIOS_LLM_CURL_DL_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

struct curl_dl {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int,
	    int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
	/* the URL API (security/ssrf_fetch.c splits URLs with it) */
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	void (*free)(void *);
};

extern struct curl_dl curl_dl;

/*
 * Load libcurl and curl_global_init() it, once per process (thread-safe).
 * Returns 0, or -1 with *why (a static string) when it cannot be loaded.
 */
int curl_dl_load(const char **why);
/* Whether libcurl is mapped in this process (for tests). */
int curl_dl_loaded(void);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (*curl_dl.global_init)
#define curl_easy_init (*curl_dl.easy_init)
#define curl_easy_setopt (*curl_dl.easy_setopt)
#define curl_easy_perform (*curl_dl.easy_perform)
#define curl_easy_getinfo (*curl_dl.easy_getinfo)
#define curl_easy_cleanup (*curl_dl.easy_cleanup)
#define curl_easy_strerror (*curl_dl.easy_strerror)
#define curl_slist_append (*curl_dl.slist_append)
#define curl_slist_free_all (*curl_dl.slist_free_all)
#define curl_multi_init (*curl_dl.multi_init)
#define curl_multi_add_handle (*curl_dl.multi_add_handle)
#define curl_multi_remove_handle (*curl_dl.multi_remove_handle)
#define curl_multi_perform (*curl_dl.multi_perform)
#define curl_multi_poll (*curl_dl.multi_poll)
#define curl_multi_info_read (*curl_dl.multi_info_read)
#define curl_multi_cleanup (*curl_dl.multi_cleanup)
#define curl_url (*curl_dl.url)
#define curl_url_cleanup (*curl_dl.url_cleanup)
#define curl_url_get (*curl_dl.url_get)
#define curl_url_set (*curl_dl.url_set)
#define curl_free (*curl_dl.free)

#endif
