import Foundation

/// The encoded formats this module reads, recognised by their leading bytes rather than by file name.
public enum ImageFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case jpeg = "JPEG"
    case png = "PNG"
    /// Binary Netpbm: P5 (gray, PGM) and P6 (RGB, PPM), 8 or 16 bits a sample.
    case netpbm = "PGM/PPM"

    public var description: String { rawValue }

    private static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]
    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The format whose signature the bytes start with. A buffer shorter than a signature but equal
    /// to its beginning also counts (it is then a truncated file of that format, not an unknown one).
    public static func sniff<Bytes: ContiguousBytes>(_ bytes: Bytes) -> ImageFormat? {
        bytes.withUnsafeBytes { sniff(raw: $0) }
    }

    static func sniff(raw bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        if startsWith(bytes, jpegSignature) { return .jpeg }
        if startsWith(bytes, pngSignature) { return .png }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"),
            bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "6")
        {
            return bytes.count == 2 || NetpbmCodec.isWhitespace(bytes[2]) ? .netpbm : nil
        }
        return nil
    }

    private static func startsWith(_ bytes: UnsafeRawBufferPointer, _ signature: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        let length = min(bytes.count, signature.count)
        // Two bytes are too little to tell a truncated JPEG or PNG from arbitrary data.
        guard length >= 2 else { return false }
        for index in 0..<length where bytes[index] != signature[index] { return false }
        return true
    }
}
