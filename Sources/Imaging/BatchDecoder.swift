import Dispatch

/// Decodes a batch of images in parallel straight into consecutive slots of one caller-owned float
/// buffer (the network's input), so that the worker and `recame predict` share one decode loop and
/// one failure rule: a slot that cannot be read or decoded gets its error and the others go on.
public struct BatchDecoder: Sendable {
    public let preprocessor: Preprocessor
    /// Decoding threads; 1 decodes on the caller's thread.
    public let threads: Int

    public init(preprocessor: Preprocessor, threads: Int) throws {
        guard threads > 0 else { throw ImageError.invalidArgument("decode threads \(threads) must be positive") }
        self.preprocessor = preprocessor
        self.threads = threads
    }

    /// Fills slot `i` of `buffer` (`preprocessor.elementCount` floats each) with `image(i)` for every
    /// `i < count`. Returns, for each slot, the error that kept it empty, or nil when it was filled.
    /// `image` is called from several threads at once, so it must only read shared state.
    public func decode(
        count: Int, into buffer: UnsafeMutableBufferPointer<Float>, image: (Int) throws -> Image
    ) throws -> [Error?] {
        let size = preprocessor.elementCount
        guard count >= 0, buffer.count >= count * size else {
            throw ImageError.invalidArgument(
                "a batch of \(count) images needs \(count * size) floats, the buffer holds \(buffer.count)")
        }
        var errors = [Error?](repeating: nil, count: count)
        guard count > 0 else { return errors }
        let preprocessor = self.preprocessor
        let lanes = min(threads, count)
        let base = buffer.baseAddress!
        errors.withUnsafeMutableBufferPointer { errorSlots in
            let errorBase = errorSlots.baseAddress!
            // Lane l takes slots l, l + lanes, …: each slot is written by exactly one thread.
            func lane(_ first: Int) {
                var slot = first
                while slot < count {
                    do {
                        try preprocessor.process(
                            image(slot), into: UnsafeMutableBufferPointer(start: base + slot * size, count: size))
                    } catch {
                        errorBase[slot] = error
                    }
                    slot += lanes
                }
            }
            if lanes == 1 { lane(0) } else { DispatchQueue.concurrentPerform(iterations: lanes) { lane($0) } }
        }
        return errors
    }
}
