import Foundation
import Imaging

/// Decodes image files into an `ImageSet` at the model's input size, in parallel, naming the first
/// file that cannot be read or decoded (a training set with a broken file is an error, not a skip).
struct FileImageLoader {
    let height: Int
    let width: Int
    let channels: Int

    struct Item {
        let path: String
        let label: Int
        let identifier: String
    }

    func load(_ items: [Item], classNames: [String], progress: ((Int, Int) -> Void)? = nil) throws -> ImageSet {
        let size = channels * height * width
        var planes = [UInt8](repeating: 0, count: items.count * size)
        let failures = FailureBox()
        let done = FailureBox()
        let (height, width, channels) = (self.height, self.width, self.channels)
        planes.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: items.count) { index in
                guard failures.first == nil else { return }
                do {
                    let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: items[index].path))
                        .resized(width: width, height: height, channels: channels)
                    // Interleaved HWC from the decoder becomes planar CHW for the network.
                    let target = base + index * size
                    for y in 0..<height {
                        for x in 0..<width {
                            for c in 0..<channels {
                                target[c * height * width + y * width + x] =
                                    image.pixels[(y * width + x) * channels + c]
                            }
                        }
                    }
                } catch {
                    failures.record(DatasetError.unreadable(path: items[index].path, reason: "\(error)"))
                }
                if let progress { progress(done.increment(), items.count) }
            }
        }
        if let failure = failures.first { throw failure }
        var set = ImageSet(classNames: classNames, channels: channels, height: height, width: width)
        for (index, item) in items.enumerated() {
            set.append(
                pixels: planes[index * size..<(index + 1) * size], label: item.label, identifier: item.identifier)
        }
        return set
    }
}

/// The first error seen by parallel workers, and a shared progress counter.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: DatasetError?
    private var count = 0

    var first: DatasetError? { lock.withLock { error } }

    func record(_ failure: DatasetError) {
        lock.withLock { if error == nil { error = failure } }
    }

    func increment() -> Int {
        lock.withLock {
            count += 1
            return count
        }
    }
}
