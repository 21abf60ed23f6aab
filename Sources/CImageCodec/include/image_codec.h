#ifndef RECAME_IMAGE_CODEC_H
#define RECAME_IMAGE_CODEC_H

/*
 * A small C layer over libjpeg(-turbo) and libpng. Both libraries report fatal errors by jumping out
 * of the failing call (libjpeg's default even calls exit()); Swift cannot take part in setjmp/longjmp,
 * so every call into them happens here, behind functions that return a status code and a message.
 * Nothing in this file prints, exits or aborts.
 *
 * Decoding has two phases so that a caller can refuse an oversized image before allocating for it:
 * read the header (no pixel buffer), then decode into a caller-provided buffer of
 * width * height * output_channels bytes, rows top to bottom, channels interleaved.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes returned by every function (also stored in ic_result.status). */
enum {
    IC_OK = 0,
    IC_TRUNCATED = 1,        /* the data ends before the image does */
    IC_CORRUPT = 2,          /* the data is not a valid image of its format */
    IC_UNSUPPORTED = 3,      /* valid, but a variant this codec does not decode (e.g. CMYK JPEG) */
    IC_INVALID_ARGUMENT = 4, /* the caller passed an inconsistent buffer, size or parameter */
    IC_OUT_OF_MEMORY = 5
};

/* Colour layout as stored in the file. */
enum {
    IC_COLOR_UNKNOWN = 0,
    IC_COLOR_GRAY = 1,
    IC_COLOR_GRAY_ALPHA = 2,
    IC_COLOR_RGB = 3,
    IC_COLOR_RGB_ALPHA = 4,
    IC_COLOR_PALETTE = 5,
    IC_COLOR_YCBCR = 6,
    IC_COLOR_CMYK = 7,
    IC_COLOR_YCCK = 8
};

#define IC_MESSAGE_CAPACITY 256

typedef struct ic_result {
    int status;
    char message[IC_MESSAGE_CAPACITY]; /* NUL-terminated; empty on success */
} ic_result;

typedef struct ic_header {
    uint32_t width;
    uint32_t height;
    int components;      /* samples per pixel in the file */
    int color_space;     /* IC_COLOR_* */
    int bit_depth;       /* bits per sample in the file */
    int output_channels; /* 1 or 3: what decode writes; 0 when the colour space cannot be decoded */
    int interlaced;      /* PNG Adam7 or progressive JPEG */
} ic_header;

/* JPEG. A progressive stream with more than this many scans is refused as corrupt (a cheap
 * denial-of-service guard: each scan rereads the whole coefficient buffer). */
#define IC_JPEG_MAX_SCANS 500

int ic_jpeg_read_header(const uint8_t *data, size_t size, ic_header *header, ic_result *result);

/* Decodes into pixels (capacity bytes). The stream's header must match `expected` (as returned by
 * ic_jpeg_read_header for the same bytes); CMYK and YCCK are refused with IC_UNSUPPORTED. */
int ic_jpeg_decode(const uint8_t *data, size_t size, const ic_header *expected, uint8_t *pixels,
                   size_t capacity, ic_result *result);

/* Encodes 8-bit interleaved pixels: components 1 (gray), 3 (RGB) or 4 (CMYK, stored as CMYK when
 * color_space is IC_COLOR_CMYK or as YCCK when IC_COLOR_YCCK; otherwise ignored). quality 1...100;
 * progressive non-zero writes a progressive stream. On success *output holds a buffer to release
 * with ic_free. */
int ic_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int components,
                   int color_space, int quality, int progressive, uint8_t **output,
                   size_t *output_size, ic_result *result);

/* PNG: 1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA and palette. Alpha is dropped (not composited),
 * 16-bit samples are scaled to 8 bits with rounding, palette and gray stay colour-exact; gamma and
 * colour-profile chunks are ignored. Gray(+alpha) decodes to 1 channel, everything else to 3. */
int ic_png_read_header(const uint8_t *data, size_t size, ic_header *header, ic_result *result);

int ic_png_decode(const uint8_t *data, size_t size, const ic_header *expected, uint8_t *pixels,
                  size_t capacity, ic_result *result);

/* Encodes 8-bit gray (channels 1) or RGB (channels 3); compression_level 0...9. */
int ic_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                  int compression_level, uint8_t **output, size_t *output_size, ic_result *result);

/* Releases a buffer returned by an encoder. */
void ic_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif
