#include "codec_common.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jpeglib.h first: jerror.h's message list depends on its configuration macros. */
#include <jpeglib.h>
#include <jerror.h>

/*
 * Every operation keeps its libjpeg state in one heap-allocated context. Automatic variables that
 * change between setjmp and longjmp are indeterminate afterwards; fields reached through a pointer
 * that is itself fixed before setjmp are not, so cleanup after a jump is well defined.
 */

typedef struct jpeg_failure {
    struct jpeg_error_mgr manager; /* first, so libjpeg's err pointer is also ours */
    jmp_buf jump;
    ic_result *result;
} jpeg_failure;

typedef struct jpeg_reader {
    struct jpeg_decompress_struct info;
    struct jpeg_progress_mgr progress;
    jpeg_failure failure;
    int created;
} jpeg_reader;

typedef struct jpeg_writer {
    struct jpeg_compress_struct info;
    jpeg_failure failure;
    int created;
    unsigned char *buffer; /* owned by libjpeg's memory destination until finished */
    unsigned long buffer_size;
} jpeg_writer;

static int status_for_error(int code) {
    switch (code) {
    case JERR_INPUT_EMPTY:
    case JERR_INPUT_EOF:
        return IC_TRUNCATED;
    case JERR_OUT_OF_MEMORY:
        return IC_OUT_OF_MEMORY;
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOT_COMPILED:
    case JERR_ARITH_NOTIMPL:
    case JERR_NOTIMPL:
        return IC_UNSUPPORTED;
    default:
        return IC_CORRUPT;
    }
}

/* Replaces error_exit, which would otherwise call exit(). */
static void jpeg_fail_and_jump(j_common_ptr common) {
    jpeg_failure *failure = (jpeg_failure *)common->err;
    char text[JMSG_LENGTH_MAX];
    (*common->err->format_message)(common, text);
    ic_fail(failure->result, status_for_error(failure->manager.msg_code), "JPEG: %s", text);
    longjmp(failure->jump, 1);
}

/* Replaces emit_message, which would otherwise print to stderr. Warnings that mean the entropy-coded
 * data is damaged are promoted to errors: libjpeg would carry on and return a partly grey image, and
 * a classifier must not be fed one. Harmless warnings (unknown JFIF revision, padding bytes before a
 * marker, a bad ICC marker) are ignored, as are trace messages. */
static void jpeg_message(j_common_ptr common, int level) {
    if (level >= 0) return;
    switch (common->err->msg_code) {
    case JWRN_JPEG_EOF: {
        jpeg_failure *failure = (jpeg_failure *)common->err;
        ic_fail(failure->result, IC_TRUNCATED, "JPEG: premature end of data");
        longjmp(failure->jump, 1);
    }
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
#if JPEG_LIB_VERSION >= 70 || defined(D_ARITH_CODING_SUPPORTED)
    case JWRN_ARITH_BAD_CODE:
#endif
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
        jpeg_fail_and_jump(common);
        break;
    default:
        break;
    }
}

/* Replaces output_message, which would otherwise print to stderr. Only the default error_exit and
 * emit_message call it, and both are replaced; should anything else, the text lands in the result. */
static void jpeg_capture_message(j_common_ptr common) {
    jpeg_failure *failure = (jpeg_failure *)common->err;
    char text[JMSG_LENGTH_MAX];
    (*common->err->format_message)(common, text);
    if (failure->result != NULL) snprintf(failure->result->message, IC_MESSAGE_CAPACITY, "JPEG: %s", text);
}

static void jpeg_limit_scans(j_common_ptr common) {
    if (!common->is_decompressor) return;
    j_decompress_ptr info = (j_decompress_ptr)common;
    if (info->input_scan_number > IC_JPEG_MAX_SCANS) {
        jpeg_failure *failure = (jpeg_failure *)common->err;
        ic_fail(failure->result, IC_CORRUPT, "JPEG: more than %d scans", IC_JPEG_MAX_SCANS);
        longjmp(failure->jump, 1);
    }
}

static void install_failure(jpeg_failure *failure, ic_result *result) {
    jpeg_std_error(&failure->manager);
    failure->manager.error_exit = jpeg_fail_and_jump;
    failure->manager.emit_message = jpeg_message;
    failure->manager.output_message = jpeg_capture_message;
    failure->result = result;
}

static int color_space_code(J_COLOR_SPACE space) {
    switch (space) {
    case JCS_GRAYSCALE:
        return IC_COLOR_GRAY;
    case JCS_RGB:
        return IC_COLOR_RGB;
    case JCS_YCbCr:
        return IC_COLOR_YCBCR;
    case JCS_CMYK:
        return IC_COLOR_CMYK;
    case JCS_YCCK:
        return IC_COLOR_YCCK;
    default:
        return IC_COLOR_UNKNOWN;
    }
}

static int output_channels_for(int color_space) {
    switch (color_space) {
    case IC_COLOR_GRAY:
        return 1;
    case IC_COLOR_RGB:
    case IC_COLOR_YCBCR:
        return 3;
    default:
        return 0;
    }
}

/* Opens the stream and reads its header; must be called after setjmp has been armed. */
static void open_stream(jpeg_reader *reader, const uint8_t *data, size_t size) {
    reader->info.err = &reader->failure.manager;
    jpeg_create_decompress(&reader->info);
    reader->created = 1;
    reader->progress.progress_monitor = jpeg_limit_scans;
    reader->info.progress = &reader->progress;
    jpeg_mem_src(&reader->info, data, (unsigned long)size);
    jpeg_read_header(&reader->info, TRUE);
}

static void describe(const struct jpeg_decompress_struct *info, ic_header *header) {
    header->width = info->image_width;
    header->height = info->image_height;
    header->components = info->num_components;
    header->color_space = color_space_code(info->jpeg_color_space);
    header->bit_depth = info->data_precision;
    header->output_channels = output_channels_for(header->color_space);
    header->interlaced = info->progressive_mode ? 1 : 0;
}

static jpeg_reader *new_reader(ic_result *result) {
    jpeg_reader *reader = calloc(1, sizeof *reader);
    if (reader != NULL) install_failure(&reader->failure, result);
    return reader;
}

static void release_reader(jpeg_reader *reader) {
    if (reader->created) jpeg_destroy_decompress(&reader->info);
    free(reader);
}

int ic_jpeg_read_header(const uint8_t *data, size_t size, ic_header *header, ic_result *result) {
    if (data == NULL || header == NULL) return ic_fail(result, IC_INVALID_ARGUMENT, "JPEG: no data");
    memset(header, 0, sizeof *header);
    jpeg_reader *reader = new_reader(result);
    if (reader == NULL) return ic_fail(result, IC_OUT_OF_MEMORY, "JPEG: out of memory");
    if (setjmp(reader->failure.jump)) {
        release_reader(reader);
        return result != NULL ? result->status : IC_CORRUPT;
    }
    open_stream(reader, data, size);
    describe(&reader->info, header);
    release_reader(reader);
    return ic_succeed(result);
}

int ic_jpeg_decode(const uint8_t *data, size_t size, const ic_header *expected, uint8_t *pixels,
                   size_t capacity, ic_result *result) {
    if (data == NULL || expected == NULL || pixels == NULL)
        return ic_fail(result, IC_INVALID_ARGUMENT, "JPEG: missing data, header or pixel buffer");
    jpeg_reader *reader = new_reader(result);
    if (reader == NULL) return ic_fail(result, IC_OUT_OF_MEMORY, "JPEG: out of memory");
    if (setjmp(reader->failure.jump)) {
        release_reader(reader);
        return result != NULL ? result->status : IC_CORRUPT;
    }
    open_stream(reader, data, size);
    struct jpeg_decompress_struct *info = &reader->info;
    ic_header actual;
    describe(info, &actual);
    if (actual.width != expected->width || actual.height != expected->height ||
        actual.output_channels != expected->output_channels) {
        release_reader(reader);
        return ic_fail(result, IC_INVALID_ARGUMENT, "JPEG: header differs from the one given");
    }
    if (actual.output_channels == 0) {
        release_reader(reader);
        return ic_fail(result, IC_UNSUPPORTED, "JPEG: colour space %d with %d components is not supported",
                       (int)info->jpeg_color_space, info->num_components);
    }
    size_t row_size = (size_t)actual.width * (size_t)actual.output_channels;
    size_t needed = ic_buffer_size(actual.width, actual.height, actual.output_channels);
    if (needed == 0 || capacity < needed) {
        release_reader(reader);
        return ic_fail(result, IC_INVALID_ARGUMENT, "JPEG: pixel buffer holds %zu bytes, %zu needed",
                       capacity, needed);
    }
    info->out_color_space = actual.output_channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    info->dct_method = JDCT_ISLOW;
    jpeg_start_decompress(info);
    if (info->output_width != actual.width || info->output_height != actual.height ||
        info->output_components != actual.output_channels) {
        release_reader(reader);
        return ic_fail(result, IC_CORRUPT, "JPEG: output geometry differs from the header");
    }
    while (info->output_scanline < info->output_height) {
        JSAMPROW row = pixels + (size_t)info->output_scanline * row_size;
        if (jpeg_read_scanlines(info, &row, 1) != 1) {
            release_reader(reader);
            return ic_fail(result, IC_TRUNCATED, "JPEG: no scanline %u", info->output_scanline);
        }
    }
    jpeg_finish_decompress(info);
    release_reader(reader);
    return ic_succeed(result);
}

static void release_writer(jpeg_writer *writer) {
    if (writer->created) jpeg_destroy_compress(&writer->info);
    free(writer->buffer);
    free(writer);
}

int ic_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int components,
                   int color_space, int quality, int progressive, uint8_t **output,
                   size_t *output_size, ic_result *result) {
    if (pixels == NULL || output == NULL || output_size == NULL)
        return ic_fail(result, IC_INVALID_ARGUMENT, "JPEG: missing pixels or output");
    *output = NULL;
    *output_size = 0;
    if (components != 1 && components != 3 && components != 4)
        return ic_fail(result, IC_INVALID_ARGUMENT, "JPEG: cannot encode %d components", components);
    if (width == 0 || height == 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION)
        return ic_fail(result, IC_INVALID_ARGUMENT, "JPEG: cannot encode %u x %u pixels", width, height);
    if (quality < 1 || quality > 100)
        return ic_fail(result, IC_INVALID_ARGUMENT, "JPEG: quality %d is outside 1...100", quality);

    jpeg_writer *writer = calloc(1, sizeof *writer);
    if (writer == NULL) return ic_fail(result, IC_OUT_OF_MEMORY, "JPEG: out of memory");
    install_failure(&writer->failure, result);
    if (setjmp(writer->failure.jump)) {
        release_writer(writer);
        return result != NULL ? result->status : IC_CORRUPT;
    }
    struct jpeg_compress_struct *info = &writer->info;
    info->err = &writer->failure.manager;
    jpeg_create_compress(info);
    writer->created = 1;
    jpeg_mem_dest(info, &writer->buffer, &writer->buffer_size);
    info->image_width = width;
    info->image_height = height;
    info->input_components = components;
    info->in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(info);
    if (components == 4) jpeg_set_colorspace(info, color_space == IC_COLOR_YCCK ? JCS_YCCK : JCS_CMYK);
    jpeg_set_quality(info, quality, TRUE);
    info->dct_method = JDCT_ISLOW;
    if (progressive) jpeg_simple_progression(info);
    jpeg_start_compress(info, TRUE);
    size_t row_size = (size_t)width * (size_t)components;
    while (info->next_scanline < info->image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info->next_scanline * row_size);
        jpeg_write_scanlines(info, &row, 1);
    }
    jpeg_finish_compress(info);
    *output = writer->buffer;
    *output_size = writer->buffer_size;
    writer->buffer = NULL;
    release_writer(writer);
    return ic_succeed(result);
}
