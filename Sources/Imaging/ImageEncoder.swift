/// Encodes images for tests, dataset preparation and the demo.
public enum ImageEncoder {
    /// Lossless 8-bit gray or RGB PNG; `compressionLevel` is zlib's 0 (none) to 9 (smallest).
    public static func png(_ image: Image, compressionLevel: Int = 6) throws -> [UInt8] {
        try PNGCodec.encode(image, compressionLevel: compressionLevel)
    }

    /// JPEG (gray stays gray; RGB is stored as YCbCr 4:2:0), `quality` 1...100, baseline unless
    /// `progressive`.
    public static func jpeg(_ image: Image, quality: Int = 90, progressive: Bool = false) throws -> [UInt8] {
        try JPEGCodec.encode(
            pixels: image.pixels, width: image.width, height: image.height,
            layout: image.channels == 1 ? .gray : .rgb, quality: quality, progressive: progressive)
    }

    /// Binary PGM (gray) or PPM (RGB), maxval 255.
    public static func netpbm(_ image: Image) -> [UInt8] {
        NetpbmCodec.encode(image)
    }
}
