/*
 * curl_dl.c — load libcurl on first use (see curl_dl.h).
 */
#include <dlfcn.h>
#include <stddef.h>
#include <pthread.h>
#include <string.h>

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "llm/curl_dl.h"

struct curl_dl curl_dl;

static pthread_once_t curl_dl_once = PTHREAD_ONCE_INIT;
static const char *curl_dl_error; /* NULL once loaded */
static int curl_dl_ok;

static const struct {
	const char *name;
	size_t offset;
} curl_dl_syms[] = {
	{ "curl_global_init", offsetof(struct curl_dl, global_init) },
	{ "curl_easy_init", offsetof(struct curl_dl, easy_init) },
	{ "curl_easy_setopt", offsetof(struct curl_dl, easy_setopt) },
	{ "curl_easy_perform", offsetof(struct curl_dl, easy_perform) },
	{ "curl_easy_getinfo", offsetof(struct curl_dl, easy_getinfo) },
	{ "curl_easy_cleanup", offsetof(struct curl_dl, easy_cleanup) },
	{ "curl_easy_strerror", offsetof(struct curl_dl, easy_strerror) },
	{ "curl_slist_append", offsetof(struct curl_dl, slist_append) },
	{ "curl_slist_free_all", offsetof(struct curl_dl, slist_free_all) },
	{ "curl_multi_init", offsetof(struct curl_dl, multi_init) },
	{ "curl_multi_add_handle", offsetof(struct curl_dl, multi_add_handle) },
	{ "curl_multi_remove_handle",
	    offsetof(struct curl_dl, multi_remove_handle) },
	{ "curl_multi_perform", offsetof(struct curl_dl, multi_perform) },
	{ "curl_multi_poll", offsetof(struct curl_dl, multi_poll) },
	{ "curl_multi_info_read", offsetof(struct curl_dl, multi_info_read) },
	{ "curl_multi_cleanup", offsetof(struct curl_dl, multi_cleanup) },
	{ "curl_url", offsetof(struct curl_dl, url) },
	{ "curl_url_cleanup", offsetof(struct curl_dl, url_cleanup) },
	{ "curl_url_get", offsetof(struct curl_dl, url_get) },
	{ "curl_url_set", offsetof(struct curl_dl, url_set) },
	{ "curl_free", offsetof(struct curl_dl, free) },
};

static void
curl_dl_open(void)
{
	void *h, *fn;
	size_t i;

	/* The soname of Debian's libcurl4-openssl (and every libcurl 7/8). */
	if ((h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		curl_dl_error =
		    "libcurl.so.4 cannot be loaded (install libcurl4)";
		return;
	}
	for (i = 0; i < sizeof curl_dl_syms / sizeof curl_dl_syms[0]; i++) {
		if ((fn = dlsym(h, curl_dl_syms[i].name)) == NULL) {
			curl_dl_error =
			    "libcurl.so.4 lacks a function oxios uses";
			return;
		}
		memcpy((char *)&curl_dl + curl_dl_syms[i].offset, &fn,
		    sizeof fn);
	}
	if (curl_dl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		curl_dl_error = "curl_global_init() failed";
		return;
	}
	curl_dl_ok = 1;
}

int
curl_dl_load(const char **why)
{
	pthread_once(&curl_dl_once, curl_dl_open);
	if (!curl_dl_ok) {
		*why = curl_dl_error;
		return -1;
	}
	return 0;
}

int
curl_dl_loaded(void)
{
	return curl_dl_ok;
}
