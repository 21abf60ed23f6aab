import CImageCodec

/// libjpeg(-turbo) through CImageCodec; the pixel limit is applied between the header and the decode.
enum JPEGCodec {
    static func header(_ bytes: UnsafeRawBufferPointer) throws -> (ImageHeader, ic_header) {
        var raw = ic_header()
        var result = ic_result()
        let status = ic_jpeg_read_header(CodecSupport.base(bytes), bytes.count, &raw, &result)
        guard Int(status) == IC_OK else {
            throw CodecSupport.error(status: status, result: result, format: .jpeg)
        }
        switch Int(raw.color_space) {
        case IC_COLOR_CMYK:
            throw ImageError.unsupported(format: .jpeg, feature: "CMYK colour space (convert to RGB first)")
        case IC_COLOR_YCCK:
            throw ImageError.unsupported(format: .jpeg, feature: "YCCK colour space (convert to RGB first)")
        default:
            break
        }
        guard raw.output_channels == 1 || raw.output_channels == 3 else {
            throw ImageError.unsupported(
                format: .jpeg, feature: "\(raw.components) components in an unknown colour space")
        }
        let header = ImageHeader(
            format: .jpeg, width: Int(raw.width), height: Int(raw.height), channels: Int(raw.output_channels),
            bitDepth: Int(raw.bit_depth))
        return (header, raw)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws -> Image {
        var (header, raw) = try self.header(bytes)
        let count = try CodecSupport.checkedSampleCount(
            width: header.width, height: header.height, channels: header.channels, maxPixels: maxPixels)
        var result = ic_result()
        let (pixels, status) = CodecSupport.makePixels(count: count) { buffer in
            ic_jpeg_decode(CodecSupport.base(bytes), bytes.count, &raw, buffer, count, &result)
        }
        guard Int(status) == IC_OK else { throw CodecSupport.error(status: status, result: result, format: .jpeg) }
        return Image(validatedWidth: header.width, height: header.height, channels: header.channels, pixels: pixels)
    }

    /// The four-component variants exist so that tests can produce CMYK and YCCK files.
    enum Layout {
        case gray, rgb, cmyk, ycck
    }

    static func encode(
        pixels: [UInt8], width: Int, height: Int, layout: Layout, quality: Int, progressive: Bool = false
    ) throws
        -> [UInt8]
    {
        let components: Int
        let colorSpace: Int
        switch layout {
        case .gray: (components, colorSpace) = (1, IC_COLOR_GRAY)
        case .rgb: (components, colorSpace) = (3, IC_COLOR_RGB)
        case .cmyk: (components, colorSpace) = (4, IC_COLOR_CMYK)
        case .ycck: (components, colorSpace) = (4, IC_COLOR_YCCK)
        }
        guard width > 0, height > 0, width <= 65_500, height <= 65_500 else {
            throw ImageError.invalidArgument("JPEG cannot hold \(width) x \(height) pixels (at most 65500 a side)")
        }
        guard pixels.count == width * height * components else {
            throw ImageError.invalidArgument(
                "\(pixels.count) samples given for \(width) x \(height) x \(components)")
        }
        guard (1...100).contains(quality) else {
            throw ImageError.invalidArgument("JPEG quality \(quality) is outside 1...100")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var result = ic_result()
        let status = pixels.withUnsafeBufferPointer { buffer in
            ic_jpeg_encode(
                buffer.baseAddress, UInt32(width), UInt32(height), Int32(components), Int32(colorSpace),
                Int32(quality), progressive ? 1 : 0, &output, &size, &result)
        }
        guard Int(status) == IC_OK else { throw CodecSupport.error(status: status, result: result, format: .jpeg) }
        return CodecSupport.takeEncoded(output, size: size)
    }
}
