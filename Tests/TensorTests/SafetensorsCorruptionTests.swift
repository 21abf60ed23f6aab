import Foundation
import Tensor
import TestSupport
import XCTest

/// Every class of damaged or hostile file is refused with an error that names the problem.
final class SafetensorsCorruptionTests: XCTestCase {
    private let eightBytes = [UInt8](repeating: 0, count: 8)

    private func entry(_ name: String, _ dtype: String = "F32", shape: String, offsets: String) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    /// Reads `bytes` expecting a failure; returns the error and checks its text contains `fragments`.
    @discardableResult
    private func refuse(
        _ bytes: [UInt8], mentioning fragments: [String], file: StaticString = #filePath, line: UInt = #line
    ) -> SafetensorsError? {
        do {
            let read = try SafetensorsFile(bytes: bytes)
            XCTFail("accepted a bad file: \(read.tensors.keys.sorted())", file: file, line: line)
            return nil
        } catch let error as SafetensorsError {
            for fragment in fragments {
                XCTAssertTrue("\(error)".contains(fragment), "'\(error)' lacks '\(fragment)'", file: file, line: line)
            }
            return error
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
            return nil
        }
    }

    private func file(_ entries: [String], data: [UInt8]) -> [UInt8] {
        SafetensorsFileTests.rawFile(header: "{" + entries.joined(separator: ",") + "}", data: data)
    }

    func testTruncatedFiles() throws {
        let good = try SafetensorsFileTests.sample().serialized()
        XCTAssertEqual(refuse(Array(good.prefix(5)), mentioning: ["5 bytes"]), .fileTooShort(byteCount: 5))
        XCTAssertEqual(refuse([], mentioning: ["0 bytes"]), .fileTooShort(byteCount: 0))
        // Cut inside the header: the declared length reaches past the end.
        let cutHeader = refuse(Array(good.prefix(40)), mentioning: ["beyond the end", "40-byte file"])
        guard case .headerLengthBeyondFile = cutHeader else { return XCTFail("\(String(describing: cutHeader))") }
        // Cut inside the data: the last tensor's span lies outside the data section.
        let cutData = refuse(Array(good.dropLast(4)), mentioning: ["outside", "data section"])
        guard case .spanOutOfBounds(let name, _, _, _) = cutData else {
            return XCTFail("\(String(describing: cutData))")
        }
        XCTAssertEqual(name, "scalar")
    }

    func testHeaderLengthTooLarge() {
        let huge = withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init) + Array("{}".utf8)
        XCTAssertEqual(
            refuse(huge, mentioning: ["1099511627776", "limit"]),
            .headerLengthTooLarge(headerLength: 1 << 40, limit: 100_000_000))
        let beyond = withUnsafeBytes(of: UInt64(3).littleEndian, Array.init) + Array("{}".utf8)
        XCTAssertEqual(
            refuse(beyond, mentioning: ["header length 3", "beyond"]),
            .headerLengthBeyondFile(headerLength: 3, fileSize: 10))
    }

    func testMalformedHeaders() {
        let unterminated = SafetensorsFileTests.rawFile(header: "{\"a\": {\"dtype\": ", data: [])
        guard case .malformedHeader = refuse(unterminated, mentioning: ["not valid JSON", "byte"]) else {
            return XCTFail("wrong error")
        }
        let garbage = SafetensorsFileTests.rawFile(header: "\u{1}\u{2}\u{3}", data: [])
        refuse(garbage, mentioning: ["not valid JSON"])
        let invalidUTF8 = withUnsafeBytes(of: UInt64(4).littleEndian, Array.init) + [0x7B, 0x22, 0xFF, 0x22]
        refuse(invalidUTF8, mentioning: ["UTF-8"])
        let array = SafetensorsFileTests.rawFile(header: "[1, 2]", data: [])
        XCTAssertEqual(
            refuse(array, mentioning: ["an array", "not a JSON object"]), .headerNotObject(found: "an array"))
        let notAnEntry = SafetensorsFileTests.rawFile(header: "{\"w\": 3}", data: [])
        XCTAssertEqual(
            refuse(notAnEntry, mentioning: ["'w'", "not an object"]), .entryNotObject(name: "w", found: "an integer"))
        let noDType = SafetensorsFileTests.rawFile(
            header: "{\"w\": {\"shape\": [], \"data_offsets\": [0, 4]}}", data: eightBytes)
        XCTAssertEqual(refuse(noDType, mentioning: ["'w'", "dtype"]), .missingField(name: "w", field: "dtype"))
        let threeOffsets = file([entry("w", shape: "[1]", offsets: "[0, 4, 8]")], data: eightBytes)
        refuse(threeOffsets, mentioning: ["'w'", "data_offsets", "not 2"])
        let backwards = file([entry("w", shape: "[0]", offsets: "[4, 0]")], data: eightBytes)
        refuse(backwards, mentioning: ["'w'", "ends before it begins"])
    }

    func testUnknownAndUnsupportedDTypes() {
        let unknown = file([entry("w", "F33", shape: "[2]", offsets: "[0, 8]")], data: eightBytes)
        XCTAssertEqual(
            refuse(unknown, mentioning: ["'w'", "unknown dtype", "F33"]), .unknownDType(name: "w", dtype: "F33"))
        // A known integer dtype passes the structural checks but is not read as float weights.
        let integer = file([entry("steps", "I64", shape: "[]", offsets: "[0, 8]")], data: eightBytes)
        XCTAssertEqual(
            refuse(integer, mentioning: ["'steps'", "I64", "only F16, BF16, F32, F64 are read"]),
            .unsupportedDType(name: "steps", dtype: .int64))
    }

    func testShapesThatDoNotMatchTheirSpan() {
        let short = file([entry("w", shape: "[3]", offsets: "[0, 8]")], data: eightBytes)
        XCTAssertEqual(
            refuse(short, mentioning: ["'w'", "[3]", "12 bytes", "8 bytes"]),
            .byteSpanMismatch(name: "w", shape: [3], dtype: .float32, expectedBytes: 12, spanBytes: 8))
        let negative = file([entry("w", shape: "[-2]", offsets: "[0, 8]")], data: eightBytes)
        refuse(negative, mentioning: ["'w'", "shape", "negative"])
        let fractional = file([entry("w", shape: "[2.0]", offsets: "[0, 8]")], data: eightBytes)
        refuse(fractional, mentioning: ["'w'", "shape", "not only integers"])
        let overflowing = file([entry("w", shape: "[4294967296, 4294967296]", offsets: "[0, 8]")], data: eightBytes)
        refuse(overflowing, mentioning: ["'w'", "shape", "too large"])
        let hugeOffset = file([entry("w", shape: "[2]", offsets: "[0, 99999999999999999999]")], data: eightBytes)
        refuse(hugeOffset, mentioning: ["'w'", "data_offsets"])
    }

    func testSpansOutOfBoundsOverlappingOrLeavingGaps() {
        let outOfBounds = file([entry("w", shape: "[4]", offsets: "[0, 16]")], data: eightBytes)
        XCTAssertEqual(
            refuse(outOfBounds, mentioning: ["'w'", "[0, 16]", "8-byte data section"]),
            .spanOutOfBounds(name: "w", begin: 0, end: 16, dataSize: 8))
        let twelve = [UInt8](repeating: 0, count: 12)
        let overlapping = file(
            [entry("a", shape: "[2]", offsets: "[0, 8]"), entry("b", shape: "[2]", offsets: "[4, 12]")], data: twelve)
        XCTAssertEqual(
            refuse(overlapping, mentioning: ["'b'", "overlaps", "'a'"]), .overlappingSpans(name: "b", other: "a"))
        let sameSpan = file(
            [entry("a", shape: "[2]", offsets: "[0, 8]"), entry("b", shape: "[2]", offsets: "[0, 8]")], data: eightBytes
        )
        XCTAssertEqual(refuse(sameSpan, mentioning: ["overlaps"]), .overlappingSpans(name: "b", other: "a"))
        let gap = file(
            [entry("a", shape: "[1]", offsets: "[0, 4]"), entry("b", shape: "[1]", offsets: "[8, 12]")], data: twelve)
        XCTAssertEqual(refuse(gap, mentioning: ["[4, 8)", "no tensor"]), .uncoveredBytes(begin: 4, end: 8))
        let trailing = file([entry("a", shape: "[1]", offsets: "[0, 4]")], data: eightBytes)
        XCTAssertEqual(refuse(trailing, mentioning: ["[4, 8)"]), .uncoveredBytes(begin: 4, end: 8))
    }

    func testDuplicateNamesAndBadMetadata() {
        let duplicate = file(
            [entry("w", shape: "[1]", offsets: "[0, 4]"), entry("w", shape: "[1]", offsets: "[4, 8]")], data: eightBytes
        )
        XCTAssertEqual(refuse(duplicate, mentioning: ["'w'", "more than once"]), .duplicateName("w"))
        let numericMetadata = file(["\"__metadata__\":{\"epochs\":3}"], data: [])
        refuse(numericMetadata, mentioning: ["__metadata__", "\"epochs\"", "not a string"])
        let listMetadata = file(["\"__metadata__\":[\"a\"]"], data: [])
        refuse(listMetadata, mentioning: ["__metadata__", "an array"])
        let twice = file(["\"__metadata__\":{}", "\"__metadata__\":{}"], data: [])
        XCTAssertEqual(
            refuse(twice, mentioning: ["more than once"]), .invalidMetadata(reason: "appears more than once"))
    }

    func testErrorsFromDiskNameTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("bad"))
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try SafetensorsFile(contentsOf: url)) {
            XCTAssertEqual($0 as? SafetensorsError, .inFile(path: url.path, .fileTooShort(byteCount: 3)))
            XCTAssertTrue("\($0)".hasPrefix(url.path + ": "))
        }
        let missing = url.appendingPathExtension("absent")
        XCTAssertThrowsError(try SafetensorsFile(contentsOf: missing)) {
            XCTAssertTrue("\($0)".contains(missing.path), "\($0)")
        }
    }

    func testEmptyFileOfNoTensorsIsValid() throws {
        let empty = try SafetensorsFile(bytes: SafetensorsFileTests.rawFile(header: "{}", data: []))
        XCTAssertTrue(empty.tensors.isEmpty)
        let padded = try SafetensorsFile(bytes: SafetensorsFileTests.rawFile(header: "{}      ", data: []))
        XCTAssertTrue(padded.metadata.isEmpty)
    }
}
