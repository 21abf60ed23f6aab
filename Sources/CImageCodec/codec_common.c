#include "codec_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int ic_fail(ic_result *result, int status, const char *format, ...) {
    if (result != NULL) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(result->message, sizeof result->message, format, arguments);
        va_end(arguments);
        result->status = status;
    }
    return status;
}

int ic_succeed(ic_result *result) {
    if (result != NULL) {
        result->status = IC_OK;
        result->message[0] = '\0';
    }
    return IC_OK;
}

size_t ic_buffer_size(uint32_t width, uint32_t height, int channels) {
    if (channels <= 0) return 0;
    size_t pixels = (size_t)width * (size_t)height; /* 32 x 32 bits fits in 64-bit size_t */
    if (pixels != 0 && (size_t)channels > SIZE_MAX / pixels) return 0;
    return pixels * (size_t)channels;
}

void ic_free(void *buffer) { free(buffer); }
