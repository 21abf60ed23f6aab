import CImageCodec

/// Shared by the C-backed codecs: status translation, the pixel limit, and pixel-buffer allocation.
enum CodecSupport {
    static func error(status: Int32, result: ic_result, format: ImageFormat) -> ImageError {
        let message = withUnsafeBytes(of: result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch Int(status) {
        case IC_TRUNCATED: return .truncated(format: format, detail: message)
        case IC_UNSUPPORTED: return .unsupported(format: format, feature: message)
        case IC_INVALID_ARGUMENT: return .invalidArgument(message)
        case IC_OUT_OF_MEMORY: return .corrupt(format: format, message: "out of memory: \(message)")
        default: return .corrupt(format: format, message: message)
        }
    }

    /// Throws `tooLarge` when `width * height` exceeds `maxPixels` (overflow counts as exceeding), and
    /// returns the sample count of a `channels`-channel buffer otherwise.
    static func checkedSampleCount(width: Int, height: Int, channels: Int, maxPixels: Int) throws -> Int {
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, area <= maxPixels else {
            throw ImageError.tooLarge(width: width, height: height, limit: maxPixels)
        }
        let (samples, overflowSamples) = area.multipliedReportingOverflow(by: channels)
        guard !overflowSamples else { throw ImageError.tooLarge(width: width, height: height, limit: maxPixels) }
        return samples
    }

    /// Allocates `count` samples and lets `fill` write them; `fill` returns an `IC_*` status. The
    /// buffer is never read before `fill` reports success.
    static func makePixels(count: Int, fill: (UnsafeMutablePointer<UInt8>) -> Int32) -> (pixels: [UInt8], status: Int32)
    {
        var status = Int32(IC_OK)
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = fill(buffer.baseAddress!)
            initialized = Int(status) == IC_OK ? count : 0
        }
        return (pixels, status)
    }

    static func base(_ bytes: UnsafeRawBufferPointer) -> UnsafePointer<UInt8>? {
        bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
    }

    /// Copies an encoder's malloc'd output into a Swift array and releases it.
    static func takeEncoded(_ output: UnsafeMutablePointer<UInt8>?, size: Int) -> [UInt8] {
        guard let output else { return [] }
        defer { ic_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}
