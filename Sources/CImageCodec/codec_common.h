#ifndef RECAME_CODEC_COMMON_H
#define RECAME_CODEC_COMMON_H

#include "image_codec.h"

/* Records a failure in result (which may be NULL) and returns status, so callers can
 * `return ic_fail(...)`. The message is printf-formatted and truncated to fit. */
int ic_fail(ic_result *result, int status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Marks result as a success and returns IC_OK. */
int ic_succeed(ic_result *result);

/* width * height * channels, or 0 when it does not fit in size_t. */
size_t ic_buffer_size(uint32_t width, uint32_t height, int channels);

#endif
