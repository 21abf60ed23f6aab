import Foundation
import Tensor
import TestSupport
import XCTest

final class SafetensorsFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent(TestEnvironment.uniqueName("safetensors"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static func sample() -> SafetensorsFile {
        let special: [Float] = [
            0, -0.0, 1, -1, .pi, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.infinity, .infinity,
            Float(bitPattern: 0x7FC0_1234), 1e-30, 123456.789,
        ]
        return SafetensorsFile(
            tensors: [
                "experts.0.conv1.weight": .init(shape: [2, 1, 3, 3], values: (0..<18).map { Float($0) * 0.37 - 2.5 }),
                "bias": .init(shape: [12], values: special),
                "scalar": .init(shape: [], values: [42.5]),
                "empty": .init(shape: [0, 4], values: []),
                "Zeta": .init(shape: [1, 1], values: [-7]),
            ],
            metadata: ["format": "recame-1", "config": "{\"depth\":20}", "note": "ünïcødé \"quoted\"\n"])
    }

    static func assertBitEqual(
        _ actual: SafetensorsFile, _ expected: SafetensorsFile, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.metadata, expected.metadata, file: file, line: line)
        XCTAssertEqual(Set(actual.tensors.keys), Set(expected.tensors.keys), file: file, line: line)
        for (name, tensor) in expected.tensors {
            XCTAssertEqual(actual.tensors[name]?.shape, tensor.shape, name, file: file, line: line)
            XCTAssertEqual(
                actual.tensors[name]?.values.map(\.bitPattern), tensor.values.map(\.bitPattern), name, file: file,
                line: line)
        }
    }

    func testRoundTripKeepsNamesShapesBitsAndMetadata() throws {
        let original = Self.sample()
        let url = directory.appendingPathComponent("model.safetensors")
        try original.write(to: url)
        let read = try SafetensorsFile(contentsOf: url)
        Self.assertBitEqual(read, original)

        // Writing is deterministic: the same contents give the same bytes.
        XCTAssertEqual(try original.serialized(), try read.serialized())
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(leftovers, ["model.safetensors"], "the temporary file must be renamed away")
    }

    func testLayoutIsAlignedSortedAndSpacePadded() throws {
        let bytes = try Self.sample().serialized()
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        XCTAssertEqual((8 + headerLength) % 8, 0, "data section must start 8-byte aligned")
        let header = String(decoding: bytes[8..<8 + headerLength], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{"))
        let trimmed = header.reversed().drop { $0 == " " }
        XCTAssertEqual(trimmed.first, "}", "padding must be spaces after the JSON")
        guard case .object(let entries) = try JSONValue.parse(header) else { return XCTFail("header not an object") }
        // Data laid out in byte order of names: "Zeta" < "bias" < "empty" < "experts…" < "scalar".
        let order = ["Zeta", "bias", "empty", "experts.0.conv1.weight", "scalar"]
        var expectedBegin: Int64 = 0
        for name in order {
            guard case .object(let entry) = entries[name], case .array(let offsets) = entry["data_offsets"] else {
                return XCTFail("no entry \(name)")
            }
            XCTAssertEqual(offsets.first, .integer(expectedBegin), name)
            if case .integer(let end) = offsets.last { expectedBegin = end }
            XCTAssertEqual(entry["dtype"], .string("F32"))
        }
        XCTAssertEqual(Int(expectedBegin), bytes.count - 8 - headerLength)
    }

    func testOverwriteReplacesTheFileWhole() throws {
        let url = directory.appendingPathComponent("model.safetensors")
        try Self.sample().write(to: url)
        let smaller = SafetensorsFile(tensors: ["w": .init(shape: [1], values: [3])])
        try smaller.write(to: url)
        Self.assertBitEqual(try SafetensorsFile(contentsOf: url), smaller)
    }

    func testWriterRefusesInconsistentTensors() {
        XCTAssertThrowsError(try SafetensorsFile(tensors: ["w": .init(shape: [2, 3], values: [1, 2])]).serialized()) {
            XCTAssertEqual($0 as? SafetensorsError, .valueCountMismatch(name: "w", shape: [2, 3], valueCount: 2))
            XCTAssertTrue("\($0)".contains("'w'"))
        }
        XCTAssertThrowsError(try SafetensorsFile(tensors: ["w": .init(shape: [-1], values: [])]).serialized()) {
            XCTAssertEqual($0 as? SafetensorsError, .invalidShape(name: "w", shape: [-1]))
        }
        XCTAssertThrowsError(try SafetensorsFile(tensors: ["__metadata__": .init(shape: [], values: [1])]).serialized())
        {
            XCTAssertEqual($0 as? SafetensorsError, .invalidName("__metadata__"))
        }
        // Missing folders are created; a path through a regular file cannot be, and is reported.
        let nested = directory.appendingPathComponent("missing-folder/deeper/model.safetensors")
        XCTAssertNoThrow(try Self.sample().write(to: nested))
        XCTAssertEqual(try SafetensorsFile(contentsOf: nested).serialized(), try Self.sample().serialized())
        let blocker = directory.appendingPathComponent("plain-file")
        XCTAssertNoThrow(try Data("x".utf8).write(to: blocker))
        let url = blocker.appendingPathComponent("model.safetensors")
        XCTAssertThrowsError(try Self.sample().write(to: url)) {
            guard case .io(let path, _) = $0 as? SafetensorsError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, url.path)
        }
    }

    func testReadsHalfBFloatAndDoubleAsFloat() throws {
        // F16: 1.0, -2.0, 65504 (largest), 2^-24 (smallest subnormal), inf.
        let half: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00]
        // BF16: 1.0, -3.5, the upper half of pi's Float bits.
        let bfloat: [UInt16] = [0x3F80, 0xC060, UInt16(Float.pi.bitPattern >> 16)]
        let double: [Double] = [0.1, -1e300, 1.5]
        var data: [UInt8] = []
        for value in half { data += withUnsafeBytes(of: value.littleEndian, Array.init) }
        for value in bfloat { data += withUnsafeBytes(of: value.littleEndian, Array.init) }
        for value in double { data += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
        let header = """
            {"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},\
            "b":{"dtype":"BF16","shape":[3],"data_offsets":[10,16]},\
            "d":{"dtype":"F64","shape":[3],"data_offsets":[16,40]}}
            """
        let file = try SafetensorsFile(bytes: Self.rawFile(header: header, data: data))
        XCTAssertEqual(file.tensors["h"]?.values, [1, -2, 65504, 0x1p-24, .infinity])
        XCTAssertEqual(file.tensors["b"]?.values, [1, -3.5, Float(bitPattern: Float.pi.bitPattern & 0xFFFF_0000)])
        XCTAssertEqual(file.tensors["d"]?.values, [Float(0.1), -.infinity, 1.5])
        XCTAssertEqual(file.metadata, [:])
    }

    /// A file from a header string and raw data, with an honest header length.
    static func rawFile(header: String, data: [UInt8]) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian, Array.init) + headerBytes + data
    }
}
