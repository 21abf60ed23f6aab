import Foundation

/// The contents of a safetensors file: named float tensors and a string → string metadata map.
///
/// Layout (as written by Python's `safetensors` package): an 8-byte little-endian header length N, N
/// bytes of JSON header (name → {"dtype", "shape", "data_offsets": [begin, end]} with offsets relative
/// to the data section, plus an optional "__metadata__" object of strings), then the raw little-endian
/// data. Reading follows `SafetensorsReader`'s checks; writing produces F32 tensors in byte order of
/// their names, with the header padded by spaces to a multiple of 8 so the data section is aligned.
public struct SafetensorsFile: Equatable, Sendable {
    /// One tensor: its shape and its values in row-major order.
    public struct Entry: Equatable, Sendable {
        public var shape: [Int]
        public var values: [Float]

        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// The header-length limit of Python's package; a larger value means a corrupt or hostile file.
    public static let maximumHeaderLength = 100_000_000
    /// The reserved header key of the metadata map.
    public static let metadataKey = "__metadata__"

    public var tensors: [String: Entry]
    public var metadata: [String: String]

    public init(tensors: [String: Entry] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Parses and validates a whole file held in memory.
    public init(bytes: some Collection<UInt8>) throws {
        let array = Array(bytes)
        self = try array.withUnsafeBytes { try SafetensorsReader.read($0) }
    }

    /// Reads and validates the file at `url`; every error names the file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SafetensorsError.io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        do {
            self = try data.withUnsafeBytes { try SafetensorsReader.read($0) }
        } catch let error as SafetensorsError {
            throw SafetensorsError.inFile(path: url.path, error)
        }
    }

    /// Tensor names in the order their data is laid out: byte order of the UTF-8 names, which is
    /// stable across runs and the same order Python's package uses for tensors of one dtype.
    public var orderedNames: [String] {
        tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The complete file as bytes. Throws if a name is reserved or empty, or a shape does not match
    /// its value count.
    public func serialized() throws -> [UInt8] {
        var header: [String: JSONValue] = [:]
        if !metadata.isEmpty {
            header[SafetensorsFile.metadataKey] = .object(metadata.mapValues { .string($0) })
        }
        var offset = 0
        let names = orderedNames
        for name in names {
            let entry = tensors[name]!
            guard !name.isEmpty, name != SafetensorsFile.metadataKey else {
                throw SafetensorsError.invalidName(name)
            }
            guard let count = SafetensorsReader.elementCount(entry.shape) else {
                throw SafetensorsError.invalidShape(name: name, shape: entry.shape)
            }
            guard count == entry.values.count else {
                throw SafetensorsError.valueCountMismatch(
                    name: name, shape: entry.shape, valueCount: entry.values.count)
            }
            let end = offset + count * 4
            header[name] = .object([
                "dtype": .string(SafetensorsDType.float32.rawValue),
                "shape": .array(entry.shape.map { .integer(Int64($0)) }),
                "data_offsets": .array([.integer(Int64(offset)), .integer(Int64(end))]),
            ])
            offset = end
        }
        var headerBytes = Array(JSONValue.object(header).serialized.utf8)
        headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8))

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        let dataStart = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: offset))
        bytes.withUnsafeMutableBytes { raw in
            var position = dataStart
            for name in names {
                for value in tensors[name]!.values {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: position, as: UInt32.self)
                    position += 4
                }
            }
        }
        return bytes
    }

    /// Writes the file atomically: the bytes go to a temporary file beside `url`, are flushed to disk,
    /// and the temporary file is renamed over `url`, so a reader never sees a half-written checkpoint.
    /// Missing parent folders are created.
    public func write(to url: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw SafetensorsError.io(path: url.path, reason: "cannot create its folder: \(error.localizedDescription)")
        }
        try AtomicFileWriter.write(try serialized(), to: url)
    }
}
