/// Binary Netpbm: P5 (PGM, gray) and P6 (PPM, RGB), with any maxval from 1 to 65535. Samples are
/// rescaled to 0...255 (maxval 255 is copied unchanged); 16-bit samples are big-endian per the format.
enum NetpbmCodec {
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0B || byte == 0x0C || byte == 0x0D
    }

    struct Header {
        var width: Int
        var height: Int
        var channels: Int
        var maxValue: Int
        /// Where the raster starts.
        var rasterOffset: Int

        var imageHeader: ImageHeader {
            ImageHeader(
                format: .netpbm, width: width, height: height, channels: channels,
                bitDepth: maxValue > 255 ? 16 : 8)
        }
    }

    static func header(_ bytes: UnsafeRawBufferPointer) throws -> Header {
        var cursor = HeaderCursor(bytes: bytes)
        guard bytes.count >= 2 else { throw ImageError.truncated(format: .netpbm, detail: "no magic number") }
        let channels = bytes[1] == UInt8(ascii: "5") ? 1 : 3
        cursor.offset = 2
        let width = try cursor.integer(named: "width")
        let height = try cursor.integer(named: "height")
        let maxValue = try cursor.integer(named: "maxval")
        guard width > 0, height > 0 else {
            throw ImageError.corrupt(format: .netpbm, message: "image size \(width) x \(height)")
        }
        guard (1...65_535).contains(maxValue) else {
            throw ImageError.corrupt(format: .netpbm, message: "maxval \(maxValue) is outside 1...65535")
        }
        // Exactly one whitespace byte separates maxval from the raster (which may begin with one).
        guard cursor.offset < bytes.count else { throw ImageError.truncated(format: .netpbm, detail: "no raster") }
        guard isWhitespace(bytes[cursor.offset]) else {
            throw ImageError.corrupt(format: .netpbm, message: "no whitespace after maxval")
        }
        return Header(
            width: width, height: height, channels: channels, maxValue: maxValue, rasterOffset: cursor.offset + 1)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws -> Image {
        let header = try self.header(bytes)
        let count = try CodecSupport.checkedSampleCount(
            width: header.width, height: header.height, channels: header.channels, maxPixels: maxPixels)
        let bytesPerSample = header.maxValue > 255 ? 2 : 1
        let available = bytes.count - header.rasterOffset
        guard available >= count * bytesPerSample else {
            throw ImageError.truncated(
                format: .netpbm, detail: "raster has \(available) bytes, \(count * bytesPerSample) needed")
        }
        let raster = UnsafeRawBufferPointer(rebasing: bytes[header.rasterOffset...])
        let maxValue = header.maxValue
        var outOfRange = -1
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            for index in 0..<count {
                let value =
                    bytesPerSample == 1
                    ? Int(raster[index]) : Int(raster[2 * index]) << 8 | Int(raster[2 * index + 1])
                if value > maxValue {
                    outOfRange = index
                    break
                }
                output[index] = maxValue == 255 ? UInt8(value) : UInt8((value * 255 + maxValue / 2) / maxValue)
            }
            initialized = outOfRange < 0 ? count : 0
        }
        guard outOfRange < 0 else {
            throw ImageError.corrupt(format: .netpbm, message: "sample \(outOfRange) exceeds maxval \(maxValue)")
        }
        return Image(validatedWidth: header.width, height: header.height, channels: header.channels, pixels: pixels)
    }

    static func encode(_ image: Image) -> [UInt8] {
        let magic = image.channels == 1 ? "P5" : "P6"
        var output = Array("\(magic)\n\(image.width) \(image.height)\n255\n".utf8)
        output.append(contentsOf: image.pixels)
        return output
    }

    /// Reads the whitespace- and comment-separated decimal fields of a Netpbm header.
    private struct HeaderCursor {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func integer(named name: String) throws -> Int {
            skipSeparators()
            guard offset < bytes.count else { throw ImageError.truncated(format: .netpbm, detail: "no \(name)") }
            var value = 0
            var digits = 0
            while offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") {
                value = value * 10 + Int(bytes[offset] - UInt8(ascii: "0"))
                digits += 1
                offset += 1
                // Ten digits exceed any size this module accepts; stop before Int could overflow.
                guard digits <= 10 else {
                    throw ImageError.corrupt(format: .netpbm, message: "\(name) has too many digits")
                }
            }
            guard digits > 0 else {
                throw ImageError.corrupt(format: .netpbm, message: "\(name) is not a decimal number")
            }
            if offset == bytes.count { throw ImageError.truncated(format: .netpbm, detail: "header ends in \(name)") }
            return value
        }

        private mutating func skipSeparators() {
            while offset < bytes.count {
                if NetpbmCodec.isWhitespace(bytes[offset]) {
                    offset += 1
                } else if bytes[offset] == UInt8(ascii: "#") {
                    while offset < bytes.count, bytes[offset] != 0x0A, bytes[offset] != 0x0D { offset += 1 }
                } else {
                    return
                }
            }
        }
    }
}
