import Foundation

/// Scratch memory for convolutions, reused across layers and calls so that steady-state inference
/// and training allocate nothing per image. One workspace serves one thread of callers; with
/// `threads` > 1 a convolution splits its tiles over that many threads, each with its own scratch
/// (OpenBLAS should then run single-threaded, `ComputeSettings.setThreads(1)`).
public final class ConvolutionWorkspace {
    var buffer: [Float] = []
    /// A helper thread's share of a weight gradient, summed by the caller afterwards.
    var partialGradient: [Float] = []
    private(set) var helpers: [ConvolutionWorkspace] = []

    /// Threads a convolution using this workspace may use (1 … 256).
    public var threads: Int = 1 {
        didSet { threads = min(max(threads, 1), 256) }
    }

    public init(threads: Int = 1) {
        self.threads = min(max(threads, 1), 256)
    }

    /// Grows the buffer to at least `count` scalars and lends it to `body`.
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        if buffer.count < count {
            buffer = [Float](repeating: 0, count: count)
        }
        return try buffer.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }

    /// Scratch for each of `count` workers (the first is this workspace itself), created before
    /// any worker starts so that no two threads mutate the list.
    func workers(_ count: Int) -> [ConvolutionWorkspace] {
        while helpers.count < count - 1 { helpers.append(ConvolutionWorkspace()) }
        return [self] + helpers.prefix(count - 1)
    }

    /// Scalars currently held (for tests and memory reports).
    public var capacity: Int { buffer.count + helpers.reduce(0) { $0 + $1.capacity } }
}

/// Runs `body(worker)` for workers 0..<count, concurrently when count > 1.
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 {
        body(0)
        return
    }
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
}
