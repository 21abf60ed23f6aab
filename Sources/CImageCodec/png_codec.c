#include "codec_common.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

/*
 * libpng reports fatal errors through an error callback that must not return; ours records the
 * message and longjmps back to the setjmp in the calling function. As in the JPEG codec, the state
 * lives in a heap context fixed before setjmp so that cleanup after a jump reads determinate values.
 */

typedef struct png_reader {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    int hit_end; /* set when libpng asked for bytes past the end: the error is a truncation */
    ic_result *result;
} png_reader;

typedef struct png_writer {
    png_structp png;
    png_infop info;
    uint8_t *buffer;
    size_t size;
    size_t capacity;
    ic_result *result;
} png_writer;

static void png_fail_reading(png_structp png, png_const_charp message) {
    png_reader *reader = png_get_error_ptr(png);
    ic_fail(reader->result, reader->hit_end ? IC_TRUNCATED : IC_CORRUPT, "PNG: %s", message);
    png_longjmp(png, 1);
}

static void png_fail_writing(png_structp png, png_const_charp message) {
    png_writer *writer = png_get_error_ptr(png);
    ic_fail(writer->result, IC_CORRUPT, "PNG: %s", message);
    png_longjmp(png, 1);
}

/* Warnings (bad CRC on an ancillary chunk, unknown sRGB profile, ...) do not affect the pixels we
 * decode; libpng must not print them. */
static void png_ignore_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void png_read_memory(png_structp png, png_bytep destination, size_t length) {
    png_reader *reader = png_get_io_ptr(png);
    if (length > reader->size - reader->offset) {
        reader->hit_end = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(destination, reader->data + reader->offset, length);
    reader->offset += length;
}

static png_reader *new_reader(const uint8_t *data, size_t size, ic_result *result) {
    png_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) return NULL;
    reader->data = data;
    reader->size = size;
    reader->result = result;
    reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, png_fail_reading, png_ignore_warning);
    if (reader->png != NULL) reader->info = png_create_info_struct(reader->png);
    if (reader->png == NULL || reader->info == NULL) {
        png_destroy_read_struct(reader->png != NULL ? &reader->png : NULL, NULL, NULL);
        free(reader);
        return NULL;
    }
    png_set_read_fn(reader->png, reader, png_read_memory);
    /* The caller enforces its own pixel limit after reading the header and reports it with the
     * declared size; libpng's default 1,000,000-pixel-per-axis limit would preempt that. */
    png_set_user_limits(reader->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    return reader;
}

static void release_reader(png_reader *reader) {
    png_destroy_read_struct(&reader->png, &reader->info, NULL);
    free(reader);
}

static int color_space_code(int color_type) {
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
        return IC_COLOR_GRAY;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
        return IC_COLOR_GRAY_ALPHA;
    case PNG_COLOR_TYPE_RGB:
        return IC_COLOR_RGB;
    case PNG_COLOR_TYPE_RGB_ALPHA:
        return IC_COLOR_RGB_ALPHA;
    case PNG_COLOR_TYPE_PALETTE:
        return IC_COLOR_PALETTE;
    default:
        return IC_COLOR_UNKNOWN;
    }
}

static void describe(png_reader *reader, ic_header *header) {
    png_structp png = reader->png;
    png_infop info = reader->info;
    header->width = png_get_image_width(png, info);
    header->height = png_get_image_height(png, info);
    header->components = png_get_channels(png, info);
    header->color_space = color_space_code(png_get_color_type(png, info));
    header->bit_depth = png_get_bit_depth(png, info);
    switch (header->color_space) {
    case IC_COLOR_GRAY:
    case IC_COLOR_GRAY_ALPHA:
        header->output_channels = 1;
        break;
    case IC_COLOR_RGB:
    case IC_COLOR_RGB_ALPHA:
    case IC_COLOR_PALETTE:
        header->output_channels = 3;
        break;
    default:
        header->output_channels = 0;
    }
    header->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
}

int ic_png_read_header(const uint8_t *data, size_t size, ic_header *header, ic_result *result) {
    if (data == NULL || header == NULL) return ic_fail(result, IC_INVALID_ARGUMENT, "PNG: no data");
    memset(header, 0, sizeof *header);
    png_reader *reader = new_reader(data, size, result);
    if (reader == NULL) return ic_fail(result, IC_OUT_OF_MEMORY, "PNG: out of memory");
    if (setjmp(png_jmpbuf(reader->png))) {
        release_reader(reader);
        return result != NULL ? result->status : IC_CORRUPT;
    }
    png_read_info(reader->png, reader->info);
    describe(reader, header);
    release_reader(reader);
    return ic_succeed(result);
}

/* Brings every layout to 8-bit gray or RGB without alpha. */
static void request_output_layout(png_structp png, png_infop info) {
    int color_type = png_get_color_type(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_bit_depth(png, info) == 16) png_set_scale_16(png);
    png_set_strip_alpha(png);
}

int ic_png_decode(const uint8_t *data, size_t size, const ic_header *expected, uint8_t *pixels,
                  size_t capacity, ic_result *result) {
    if (data == NULL || expected == NULL || pixels == NULL)
        return ic_fail(result, IC_INVALID_ARGUMENT, "PNG: missing data, header or pixel buffer");
    png_reader *reader = new_reader(data, size, result);
    if (reader == NULL) return ic_fail(result, IC_OUT_OF_MEMORY, "PNG: out of memory");
    if (setjmp(png_jmpbuf(reader->png))) {
        release_reader(reader);
        return result != NULL ? result->status : IC_CORRUPT;
    }
    png_structp png = reader->png;
    png_infop info = reader->info;
    png_read_info(png, info);
    ic_header actual;
    describe(reader, &actual);
    if (actual.width != expected->width || actual.height != expected->height ||
        actual.output_channels != expected->output_channels) {
        release_reader(reader);
        return ic_fail(result, IC_INVALID_ARGUMENT, "PNG: header differs from the one given");
    }
    if (actual.output_channels == 0) {
        release_reader(reader);
        return ic_fail(result, IC_UNSUPPORTED, "PNG: colour type %d is not supported",
                       (int)png_get_color_type(png, info));
    }
    size_t needed = ic_buffer_size(actual.width, actual.height, actual.output_channels);
    if (needed == 0 || capacity < needed) {
        release_reader(reader);
        return ic_fail(result, IC_INVALID_ARGUMENT, "PNG: pixel buffer holds %zu bytes, %zu needed",
                       capacity, needed);
    }
    request_output_layout(png, info);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t row_size = (size_t)actual.width * (size_t)actual.output_channels;
    if (png_get_bit_depth(png, info) != 8 || png_get_channels(png, info) != actual.output_channels ||
        png_get_rowbytes(png, info) != row_size) {
        release_reader(reader);
        return ic_fail(result, IC_UNSUPPORTED, "PNG: cannot convert this layout to 8-bit %s",
                       actual.output_channels == 1 ? "gray" : "RGB");
    }
    /* Interlaced images are read pass by pass into the same rows; libpng combines them. */
    for (int pass = 0; pass < passes; pass++) {
        for (uint32_t y = 0; y < actual.height; y++) {
            png_read_row(png, pixels + (size_t)y * row_size, NULL);
        }
    }
    png_read_end(png, NULL);
    release_reader(reader);
    return ic_succeed(result);
}

static void png_write_memory(png_structp png, png_bytep source, size_t length) {
    png_writer *writer = png_get_io_ptr(png);
    if (length > writer->capacity - writer->size) {
        size_t capacity = writer->capacity == 0 ? 4096 : writer->capacity;
        while (capacity - writer->size < length) {
            if (capacity > SIZE_MAX / 2) png_error(png, "output too large");
            capacity *= 2;
        }
        uint8_t *grown = realloc(writer->buffer, capacity);
        if (grown == NULL) {
            ic_fail(writer->result, IC_OUT_OF_MEMORY, "PNG: out of memory");
            png_longjmp(png, 1);
        }
        writer->buffer = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->buffer + writer->size, source, length);
    writer->size += length;
}

static void png_flush_memory(png_structp png) { (void)png; }

static void release_writer(png_writer *writer) {
    png_destroy_write_struct(&writer->png, &writer->info);
    free(writer->buffer);
    free(writer);
}

int ic_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                  int compression_level, uint8_t **output, size_t *output_size, ic_result *result) {
    if (pixels == NULL || output == NULL || output_size == NULL)
        return ic_fail(result, IC_INVALID_ARGUMENT, "PNG: missing pixels or output");
    *output = NULL;
    *output_size = 0;
    if (channels != 1 && channels != 3)
        return ic_fail(result, IC_INVALID_ARGUMENT, "PNG: cannot encode %d channels", channels);
    if (width == 0 || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX)
        return ic_fail(result, IC_INVALID_ARGUMENT, "PNG: cannot encode %u x %u pixels", width, height);
    if (compression_level < 0 || compression_level > 9)
        return ic_fail(result, IC_INVALID_ARGUMENT, "PNG: compression level %d is outside 0...9",
                       compression_level);

    png_writer *writer = calloc(1, sizeof *writer);
    if (writer == NULL) return ic_fail(result, IC_OUT_OF_MEMORY, "PNG: out of memory");
    writer->result = result;
    writer->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, writer, png_fail_writing, png_ignore_warning);
    if (writer->png != NULL) writer->info = png_create_info_struct(writer->png);
    if (writer->png == NULL || writer->info == NULL) {
        release_writer(writer);
        return ic_fail(result, IC_OUT_OF_MEMORY, "PNG: out of memory");
    }
    if (setjmp(png_jmpbuf(writer->png))) {
        release_writer(writer);
        return result != NULL ? result->status : IC_CORRUPT;
    }
    png_set_write_fn(writer->png, writer, png_write_memory, png_flush_memory);
    png_set_compression_level(writer->png, compression_level);
    png_set_IHDR(writer->png, writer->info, width, height, 8,
                 channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(writer->png, writer->info);
    size_t row_size = (size_t)width * (size_t)channels;
    for (uint32_t y = 0; y < height; y++) {
        png_write_row(writer->png, pixels + (size_t)y * row_size);
    }
    png_write_end(writer->png, writer->info);
    *output = writer->buffer;
    *output_size = writer->size;
    writer->buffer = NULL;
    release_writer(writer);
    return ic_succeed(result);
}
