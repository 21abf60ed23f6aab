import Foundation
import Postgres
import TestSupport
import XCTest

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 / NIST example vectors, plus the well-known pangram.
    func testStandardVectors() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            ),
            (
                "The quick brown fox jumps over the lazy dog",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
            ),
        ]
        for (message, digest) in vectors {
            XCTAssertEqual(SHA256.hexDigest(Array(message.utf8)), digest, "SHA-256 of '\(message)'")
        }
    }

    func testOneMillionAs() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(
            SHA256.hexDigest(message), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Feeding the message in uneven pieces (across the 64-byte block and 56-byte padding boundaries)
    /// gives the same digest as one call.
    func testStreamingMatchesOneShot() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000] {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var hasher = SHA256()
            var offset = 0
            var step = 1
            while offset < message.count {
                let end = min(message.count, offset + step)
                hasher.update(message[offset..<end])
                offset = end
                step = step * 3 % 70 + 1
            }
            XCTAssertEqual(hasher.finalize(), SHA256.hash(message), "length \(length)")
            XCTAssertEqual(SHA256.hash(Data(message)), SHA256.hash(message), "Data and [UInt8] agree at \(length)")
        }
    }

    /// PostgreSQL's own sha256() is an independent implementation: every length from 0 to 300 bytes agrees.
    func testAgreesWithPostgreSQL() throws {
        let connection = try PostgresConnection(url: TestEnvironment.databaseURL)
        defer { connection.close() }
        for length in 0...300 {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let server = try connection.value("SELECT encode(sha256($1), 'hex')", message, as: String.self)
            XCTAssertEqual(SHA256.hexDigest(message), server, "length \(length)")
        }
    }

    func testFileDigest() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("sha"))
        let content = [UInt8]((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try Data(content).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try SHA256.hexDigest(ofFile: url), SHA256.hexDigest(content))
    }
}
