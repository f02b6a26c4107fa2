#ifndef RAPPORT_CCURL_H
#define RAPPORT_CCURL_H
#include <curl/curl.h>
#endif
