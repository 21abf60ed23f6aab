/// Builds PNG files byte by byte (chunks, CRC-32, zlib stored blocks, Adler-32), independently of
/// libpng, so that the decoder is checked against layouts our own encoder never writes: 16-bit
/// samples, palettes, transparency, alpha, sub-byte depths and Adam7 interlacing. Also makes poison
/// files for pipeline tests (`header(width:height:)`: a huge declared size with no pixel data).
public enum RawPNG {
    public enum ColorType: UInt8 {
        case gray = 0
        case rgb = 2
        case palette = 3
        case grayAlpha = 4
        case rgba = 6

        public var samplesPerPixel: Int {
            switch self {
            case .gray, .palette: return 1
            case .grayAlpha: return 2
            case .rgb: return 3
            case .rgba: return 4
            }
        }
    }

    /// `samples`: width * height * samplesPerPixel values (each below 2^bitDepth), row-major.
    public static func make(
        width: Int, height: Int, bitDepth: Int, colorType: ColorType, samples: [Int],
        palette: [UInt8]? = nil, transparency: [UInt8]? = nil, interlaced: Bool = false
    ) -> [UInt8] {
        precondition(samples.count == width * height * colorType.samplesPerPixel)
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian32(width) + bigEndian32(height)
        header += [UInt8(bitDepth), colorType.rawValue, 0, 0, interlaced ? 1 : 0]
        file += chunk("IHDR", header)
        if let palette { file += chunk("PLTE", palette) }
        if let transparency { file += chunk("tRNS", transparency) }
        let raw =
            interlaced
            ? adam7Scanlines(width: width, height: height, bitDepth: bitDepth, colorType: colorType, samples: samples)
            : scanlines(
                width: width, height: height, bitDepth: bitDepth, colorType: colorType,
                samples: samples, columns: Array(0..<width), rows: Array(0..<height))
        file += chunk("IDAT", zlibStored(raw))
        file += chunk("IEND", [])
        return file
    }

    /// A file whose IHDR declares `width` x `height` but whose data is a token few bytes.
    public static func header(width: Int, height: Int) -> [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += chunk("IHDR", bigEndian32(width) + bigEndian32(height) + [8, 0, 0, 0, 0])
        file += chunk("IDAT", zlibStored([0, 0, 0, 0]))
        file += chunk("IEND", [])
        return file
    }

    /// The file with every chunk's CRC recomputed (as far as chunk lengths stay consistent), so that
    /// damage reaches the parsers behind the checksum instead of stopping at it.
    public static func repairingChecksums(_ file: [UInt8]) -> [UInt8] {
        var bytes = file
        var offset = 8
        while offset + 12 <= bytes.count {
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard length <= bytes.count - offset - 12 else { break }
            let crc = crc32(Array(bytes[(offset + 4)..<(offset + 8 + length)]))
            bytes.replaceSubrange((offset + 8 + length)..<(offset + 12 + length), with: bigEndian32(Int(crc)))
            offset += 12 + length
        }
        return bytes
    }

    public static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian32(data.count) + typeBytes + data + bigEndian32(Int(crc32(typeBytes + data)))
    }

    /// Scanlines (filter type 0) for the pixels at the given columns and rows.
    private static func scanlines(
        width: Int, height: Int, bitDepth: Int, colorType: ColorType, samples: [Int], columns: [Int], rows: [Int]
    ) -> [UInt8] {
        guard !columns.isEmpty else { return [] }
        let perPixel = colorType.samplesPerPixel
        var output: [UInt8] = []
        for y in rows {
            output.append(0)
            var bits = BitWriter()
            for x in columns {
                for s in 0..<perPixel {
                    let value = samples[(y * width + x) * perPixel + s]
                    if bitDepth == 16 {
                        bits.bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
                    } else {
                        bits.write(value, bits: bitDepth)
                    }
                }
            }
            output += bits.finish()
        }
        return output
    }

    private static func adam7Scanlines(
        width: Int, height: Int, bitDepth: Int, colorType: ColorType, samples: [Int]
    ) -> [UInt8] {
        let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        var output: [UInt8] = []
        for (x0, y0, dx, dy) in passes {
            let columns = Array(stride(from: x0, to: width, by: dx))
            let rows = Array(stride(from: y0, to: height, by: dy))
            output += scanlines(
                width: width, height: height, bitDepth: bitDepth, colorType: colorType, samples: samples,
                columns: columns, rows: rows)
        }
        return output
    }

    private struct BitWriter {
        var bytes: [UInt8] = []
        var current = 0
        var used = 0

        mutating func write(_ value: Int, bits: Int) {
            current = current << bits | value
            used += bits
            if used == 8 {
                bytes.append(UInt8(current))
                current = 0
                used = 0
            }
        }

        mutating func finish() -> [UInt8] {
            if used > 0 { bytes.append(UInt8(current << (8 - used))) }
            return bytes
        }
    }

    public static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var output: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            output.append(final)
            output += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            output += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        return output + bigEndian32(Int(adler32(data)))
    }

    public static func bigEndian32(_ value: Int) -> [UInt8] {
        [UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    public static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}
