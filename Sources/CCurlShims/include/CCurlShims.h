#ifndef RAPPORT_CCURL_SHIMS_H
#define RAPPORT_CCURL_SHIMS_H

#include <curl/curl.h>
#include <stddef.h>
#include <sys/types.h>

/* curl_global_init(CURL_GLOBAL_ALL): the flag is a compound macro Swift does not import. */
CURLcode rapport_curl_global_init_all(void);

/* Non-variadic wrappers around curl_easy_setopt. */
CURLcode rapport_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode rapport_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode rapport_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode rapport_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode rapport_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode rapport_curl_setopt_read_callback(CURL *handle, curl_read_callback callback);
CURLcode rapport_curl_setopt_write_callback(CURL *handle, curl_write_callback callback);
CURLcode rapport_curl_setopt_header_callback(CURL *handle, curl_write_callback callback);
CURLcode rapport_curl_setopt_debug_callback(CURL *handle, curl_debug_callback callback);

/* Non-variadic wrappers around curl_easy_getinfo. */
CURLcode rapport_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode rapport_curl_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode rapport_curl_getinfo_string(CURL *handle, CURLINFO info, const char **value);

#endif
