import Foundation

/// Why an image could not be decoded, encoded or transformed. Every case carries enough context for
/// a dead-letter reason or a log line to say what was wrong without the bytes at hand.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The bytes start with no signature this module decodes (JPEG, PNG, binary PGM/PPM).
    case unknownFormat(leadingBytes: [UInt8])
    /// The data ends before the image does.
    case truncated(format: ImageFormat, detail: String)
    /// The data is not a valid image of its format.
    case corrupt(format: ImageFormat, message: String)
    /// The header declares more pixels than the caller allows; refused before any pixel buffer exists.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// A valid image in a variant this module does not decode (CMYK JPEG, 12-bit JPEG, ...).
    case unsupported(format: ImageFormat, feature: String)
    /// A caller passed inconsistent sizes, channels or parameters.
    case invalidArgument(String)
    /// A file could not be read, or is larger than the byte limit given.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownFormat(let leading):
            if leading.isEmpty { return "unknown image format: no data" }
            let hex = leading.map { String(format: "%02x", $0) }.joined(separator: " ")
            return "unknown image format: leading bytes \(hex)"
        case .truncated(let format, let detail):
            return "truncated \(format) image: \(detail)"
        case .corrupt(let format, let message):
            return "corrupt \(format) image: \(message)"
        case .tooLarge(let width, let height, let limit):
            return "image of \(width) x \(height) pixels exceeds the limit of \(limit) pixels"
        case .unsupported(let format, let feature):
            return "unsupported \(format) image: \(feature)"
        case .invalidArgument(let message):
            return "invalid argument: \(message)"
        case .unreadable(let path, let reason):
            return "cannot read image file \(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
