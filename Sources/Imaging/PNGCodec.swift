import CImageCodec

/// libpng through CImageCodec; the pixel limit is applied between the header and the decode.
enum PNGCodec {
    static func header(_ bytes: UnsafeRawBufferPointer) throws -> (ImageHeader, ic_header) {
        var raw = ic_header()
        var result = ic_result()
        let status = ic_png_read_header(CodecSupport.base(bytes), bytes.count, &raw, &result)
        guard Int(status) == IC_OK else {
            throw CodecSupport.error(status: status, result: result, format: .png)
        }
        guard raw.output_channels == 1 || raw.output_channels == 3 else {
            throw ImageError.unsupported(format: .png, feature: "colour layout \(raw.color_space)")
        }
        let header = ImageHeader(
            format: .png, width: Int(raw.width), height: Int(raw.height), channels: Int(raw.output_channels),
            bitDepth: Int(raw.bit_depth))
        return (header, raw)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws -> Image {
        var (header, raw) = try self.header(bytes)
        let count = try CodecSupport.checkedSampleCount(
            width: header.width, height: header.height, channels: header.channels, maxPixels: maxPixels)
        var result = ic_result()
        let (pixels, status) = CodecSupport.makePixels(count: count) { buffer in
            ic_png_decode(CodecSupport.base(bytes), bytes.count, &raw, buffer, count, &result)
        }
        guard Int(status) == IC_OK else { throw CodecSupport.error(status: status, result: result, format: .png) }
        return Image(validatedWidth: header.width, height: header.height, channels: header.channels, pixels: pixels)
    }

    static func encode(_ image: Image, compressionLevel: Int) throws -> [UInt8] {
        guard (0...9).contains(compressionLevel) else {
            throw ImageError.invalidArgument("PNG compression level \(compressionLevel) is outside 0...9")
        }
        guard image.width <= Int(Int32.max), image.height <= Int(Int32.max) else {
            throw ImageError.invalidArgument("PNG cannot hold \(image.width) x \(image.height) pixels")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var result = ic_result()
        let status = image.pixels.withUnsafeBufferPointer { buffer in
            ic_png_encode(
                buffer.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                Int32(compressionLevel), &output, &size, &result)
        }
        guard Int(status) == IC_OK else { throw CodecSupport.error(status: status, result: result, format: .png) }
        return CodecSupport.takeEncoded(output, size: size)
    }
}
