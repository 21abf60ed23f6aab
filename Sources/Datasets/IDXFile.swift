/// The IDX format of MNIST and Fashion-MNIST: a magic number giving the element type and rank,
/// big-endian dimensions, then the raw unsigned bytes.
struct IDXFile {
    let dimensions: [Int]
    let bytes: [UInt8]

    init(path: String) throws {
        let data = try GzipReader.contents(of: path)
        guard data.count >= 4, data[0] == 0, data[1] == 0 else {
            throw DatasetError.malformed(path: path, reason: "not an IDX file (bad magic number)")
        }
        guard data[2] == 0x08 else {
            throw DatasetError.malformed(path: path, reason: "IDX element type \(data[2]) is not unsigned byte")
        }
        let rank = Int(data[3])
        let headerSize = 4 + 4 * rank
        guard rank >= 1, rank <= 4, data.count >= headerSize else {
            throw DatasetError.malformed(path: path, reason: "IDX header truncated or rank \(rank) unsupported")
        }
        var dimensions = [Int]()
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            let value = data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            dimensions.append(value)
        }
        let expected = dimensions.reduce(1, *)
        guard data.count - headerSize == expected else {
            throw DatasetError.malformed(
                path: path,
                reason: "IDX declares \(dimensions) = \(expected) bytes but holds \(data.count - headerSize)")
        }
        self.dimensions = dimensions
        self.bytes = Array(data[headerSize...])
    }
}
