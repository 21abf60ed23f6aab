import Foundation

/// Decodes JPEG, PNG and binary PGM/PPM, recognised by their leading bytes. Every failure is a thrown
/// `ImageError`; an image whose header declares more than `maxPixels` pixels is refused before its
/// pixel buffer is allocated.
public enum ImageDecoder {
    /// 64 megapixels: far above any inspection image, far below what would exhaust a worker.
    public static let defaultMaxPixels = 64_000_000
    /// Files larger than this are not read by `decode(contentsOf:)` unless the caller says otherwise.
    public static let defaultMaxFileBytes = 256 << 20

    /// The format, size and channels an image declares, without decoding it.
    public static func header<Bytes: ContiguousBytes>(of bytes: Bytes) throws -> ImageHeader {
        try bytes.withUnsafeBytes { raw in
            switch try format(of: raw) {
            case .jpeg: return try JPEGCodec.header(raw).0
            case .png: return try PNGCodec.header(raw).0
            case .netpbm: return try NetpbmCodec.header(raw).imageHeader
            }
        }
    }

    public static func decode<Bytes: ContiguousBytes>(_ bytes: Bytes, maxPixels: Int = defaultMaxPixels) throws
        -> Image
    {
        guard maxPixels > 0 else { throw ImageError.invalidArgument("maxPixels \(maxPixels) must be positive") }
        return try bytes.withUnsafeBytes { raw in
            switch try format(of: raw) {
            case .jpeg: return try JPEGCodec.decode(raw, maxPixels: maxPixels)
            case .png: return try PNGCodec.decode(raw, maxPixels: maxPixels)
            case .netpbm: return try NetpbmCodec.decode(raw, maxPixels: maxPixels)
            }
        }
    }

    /// Reads and decodes a file, refusing one larger than `maxFileBytes` before reading it.
    public static func decode(
        contentsOf url: URL, maxPixels: Int = defaultMaxPixels, maxFileBytes: Int = defaultMaxFileBytes
    ) throws -> Image {
        let path = url.path
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard (attributes[.type] as? FileAttributeType) != .typeDirectory else {
                throw ImageError.unreadable(path: path, reason: "it is a directory")
            }
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard size <= maxFileBytes else {
            throw ImageError.unreadable(path: path, reason: "\(size) bytes exceed the limit of \(maxFileBytes)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try decode(data, maxPixels: maxPixels)
    }

    private static func format(of raw: UnsafeRawBufferPointer) throws -> ImageFormat {
        guard let format = ImageFormat.sniff(raw: raw) else {
            throw ImageError.unknownFormat(leadingBytes: Array(raw.prefix(8)))
        }
        return format
    }
}
