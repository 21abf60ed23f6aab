import Tensor
import TestSupport
import XCTest

@testable import Imaging

/// Seeded random damage to valid files (truncation, flipped bits, inserted garbage, overwritten runs):
/// every variant must decode to a well-formed image or throw an `ImageError`, in process, never crash.
final class MutationTests: XCTestCase {
    private enum Mutation: CaseIterable {
        case truncate, flipBits, insertGarbage, overwriteRun
    }

    private struct Outcome {
        var decoded = 0
        var failed = 0
        var truncationsDecoded = 0
    }

    private func mutate(_ original: [UInt8], _ mutation: Mutation, _ generator: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        switch mutation {
        case .truncate:
            bytes.removeLast(generator.nextInt(in: 1...bytes.count))
        case .flipBits:
            for _ in 0..<generator.nextInt(in: 1...4) {
                bytes[generator.nextInt(below: bytes.count)] ^= UInt8(1 << generator.nextInt(below: 8))
            }
        case .insertGarbage:
            let garbage = (0..<generator.nextInt(in: 1...16)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            bytes.insert(contentsOf: garbage, at: generator.nextInt(in: 0...bytes.count))
        case .overwriteRun:
            let start = generator.nextInt(below: bytes.count)
            let length = min(generator.nextInt(in: 1...32), bytes.count - start)
            for index in start..<(start + length) { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
        }
        return bytes
    }

    /// `repair`, when given, is applied to every second damaged file (to get past checksums).
    private func run(
        _ original: [UInt8], count: Int, seed: UInt64, repair: (([UInt8]) -> [UInt8])? = nil
    ) -> Outcome {
        var generator = SeededGenerator(seed: seed)
        var outcome = Outcome()
        for iteration in 0..<count {
            let mutation = Mutation.allCases[iteration % Mutation.allCases.count]
            var damaged = mutate(original, mutation, &generator)
            if let repair, iteration % 2 == 1 { damaged = repair(damaged) }
            do {
                // A modest limit keeps damaged size fields from making the loop slow, not from crashing.
                let image = try ImageDecoder.decode(damaged, maxPixels: 1 << 22)
                XCTAssertEqual(image.pixels.count, image.width * image.height * image.channels)
                XCTAssertTrue(image.channels == 1 || image.channels == 3)
                outcome.decoded += 1
                if mutation == .truncate { outcome.truncationsDecoded += 1 }
            } catch let error as ImageError {
                if case .invalidArgument = error { XCTFail("iteration \(iteration): internal inconsistency \(error)") }
                XCTAssertFalse(error.description.isEmpty)
                outcome.failed += 1
            } catch {
                XCTFail("iteration \(iteration): unexpected error type \(error)")
            }
        }
        return outcome
    }

    func testDamagedJPEGsNeverCrash() throws {
        for (channels, progressive, seed) in [(3, false, UInt64(1)), (1, false, 2), (3, true, 8)] {
            let original = try ImageEncoder.jpeg(
                TestImages.smooth(width: 40, height: 32, channels: channels), quality: 85, progressive: progressive)
            let outcome = run(original, count: 1_000, seed: seed)
            XCTAssertEqual(outcome.decoded + outcome.failed, 1_000)
            XCTAssertEqual(outcome.truncationsDecoded, 0, "a truncated JPEG decoded")
            XCTAssertGreaterThan(outcome.failed, 250)
            XCTAssertGreaterThan(outcome.decoded, 0, "no damage is harmless in entropy-coded data? suspicious")
        }
    }

    func testDamagedPNGsNeverCrash() throws {
        let encoded = try ImageEncoder.png(TestImages.smooth(width: 40, height: 32, channels: 3))
        let width = 23
        let height = 17
        let palette = (0..<(16 * 3)).map { UInt8(($0 * 29) % 256) }
        let interlacedPalette = RawPNG.make(
            width: width, height: height, bitDepth: 4, colorType: .palette,
            samples: (0..<(width * height)).map { $0 % 16 }, palette: palette, transparency: [0, 50],
            interlaced: true)
        let sixteenBit = RawPNG.make(
            width: width, height: height, bitDepth: 16, colorType: .rgba,
            samples: (0..<(width * height * 4)).map { ($0 * 997) % 65_536 })
        for (original, seed) in [(encoded, UInt64(3)), (interlacedPalette, 4), (sixteenBit, 5)] {
            let outcome = run(original, count: 1_000, seed: seed, repair: RawPNG.repairingChecksums)
            XCTAssertEqual(outcome.decoded + outcome.failed, 1_000)
            XCTAssertEqual(outcome.truncationsDecoded, 0, "a truncated PNG decoded")
            XCTAssertGreaterThan(outcome.failed, 250)
        }
    }

    func testDamagedNetpbmNeverCrashes() {
        let original = ImageEncoder.netpbm(TestImages.noise(width: 12, height: 10, channels: 3, seed: 6))
        let outcome = run(original, count: 400, seed: 7)
        XCTAssertEqual(outcome.decoded + outcome.failed, 400)
        XCTAssertEqual(outcome.truncationsDecoded, 0, "a truncated PPM decoded")
    }
}
